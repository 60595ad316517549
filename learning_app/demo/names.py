"""Word lists for the demo county 青川县 (fictional) and its people.

Everything here is static data; the generators pick from it with one seeded
``random.Random`` so every load produces the same county.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Township:
    name: str
    code: str
    villages: int
    # Share of members who study regularly; the rest rarely show up. Spread
    # from ~50% to ~95% so the participation reports have something to show.
    regular_share: float
    communities: tuple[str, ...] = ()
    # A fixed name for the first village (the demo accounts' branch).
    first_village: str | None = None


TOWNSHIPS: tuple[Township, ...] = (
    Township("城关镇", "CG", 4, 0.80, ("城南社区", "城北社区", "东街社区")),
    Township("龙泉镇", "LQ", 12, 0.92, first_village="杨柳湾村"),
    Township("石桥乡", "SQ", 10, 0.45),
    Township("白沙镇", "BS", 11, 0.85),
    Township("清溪乡", "QX", 9, 0.55),
    Township("马鞍乡", "MA", 12, 0.48),
    Township("柳河镇", "LH", 10, 0.88),
    Township("双龙乡", "SL", 13, 0.70),
    Township("青峰镇", "QF", 9, 0.90),
    Township("桃源乡", "TY", 11, 0.65),
    Township("黄土乡", "HT", 8, 0.42),
    Township("金坪镇", "JP", 12, 0.82),
    Township("云岭乡", "YL", 10, 0.46),
    Township("红星镇", "HX", 9, 0.93),
    Township("安和乡", "AH", 10, 0.75),
)
DEPARTMENT_REGULAR_SHARE = 0.85
EXEMPT_REGULAR_SHARE = 0.10

# 县直部门党组织: (name, code suffix).
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("县委组织部机关党支部", "ZZB"),
    ("县委宣传部机关党支部", "XCB"),
    ("县委办公室机关党支部", "XWB"),
    ("县政府办公室机关党支部", "ZFB"),
    ("县乡村振兴局党组", "XCZX"),
    ("县农业农村局党组", "NY"),
    ("县人社局党组", "RS"),
    ("县教育局党组", "JY"),
    ("县卫生健康局党组", "WJ"),
    ("县民政局党组", "MZ"),
    ("县财政局党组", "CZ"),
    ("县交通运输局党组", "JT"),
    ("县水利局党组", "SL"),
    ("县住建局党组", "ZJ"),
    ("县自然资源局党组", "ZR"),
    ("县医保局党组", "YB"),
    ("县林业局党组", "LY"),
    ("县市场监管局党组", "SJ"),
    ("县发展改革局党组", "FG"),
    ("县生态环境局党组", "ST"),
)

# Village names are <place word><landform>村 or <place word>村, as in
# 杨柳湾村, 青杠坪村, 石门村.
PLACE_WORDS = (
    "杨柳", "青杠", "石门", "杏树", "白果", "桂花", "黄桷", "柏林", "竹林", "大石", "龙洞", "水口",
    "高峰", "凉水", "茶园", "新房", "松树", "梨子", "堰塘", "马家", "李家", "陈家", "何家", "罗家",
    "双河", "三合", "五星", "金鸡", "凤凰", "白鹤", "红岩", "观音", "庙子", "板桥", "石板", "木瓜",
    "核桃", "银杏", "枫香", "天池", "云台", "桐子", "碾子", "老鹰", "鹞子", "槐树", "桑树", "黄泥",
    "青龙", "白马", "柑子", "花园", "回龙", "拱桥", "盐井", "磨盘", "莲花", "太平",
)
LANDFORMS = tuple("湾坪坝沟垭岭岩山河桥口寨塘坡咀梁")

# Surnames with rough weights (per mille of the population, rounded).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 72), ("张", 69), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 23),
    ("赵", 22), ("吴", 20), ("周", 19), ("徐", 16), ("孙", 15), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("罗", 11), ("高", 11), ("郑", 10),
    ("梁", 10), ("谢", 9), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7),
    ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5),
    ("袁", 5), ("潘", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 4),
    ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 3),
    ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3),
    ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3),
    ("付", 3), ("方", 2), ("邹", 2), ("熊", 2), ("秦", 2), ("江", 2), ("尹", 2),
    ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2),
    ("龚", 2), ("向", 2), ("苟", 1), ("蒲", 1), ("敬", 1), ("岳", 1), ("母", 1),
)
_SURNAME_CHARS = [surname for surname, _ in SURNAMES]
_SURNAME_CUM = list(itertools.accumulate(weight for _, weight in SURNAMES))
MALE_GIVEN = tuple("建国明华军平伟强林勇杰斌志刚文海东春德成俊福兴富贵忠学永光荣天宏"
                   "云波辉涛浩宇鹏晓长金元发清正祥家庆安")
FEMALE_GIVEN = tuple("秀英芳玉兰琴霞丽梅燕敏静红娟艳萍莉桂凤春婷雪琳慧晓丹洁群翠"
                     "菊蓉琼淑珍娜")

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "177", "180", "181", "182", "183", "187", "188", "189", "191", "199",
)


def village_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` distinct village names, unique across the county and not in ``taken``."""
    pool = [word + landform for word in PLACE_WORDS for landform in LANDFORMS]
    # A bare place word (石门村) now and then, as real names go.
    pool += [word for word in PLACE_WORDS if not word.endswith("家")]
    rng.shuffle(pool)
    return [name for name in (word + "村" for word in pool) if name not in taken][:count]


def person_name(rng: random.Random, female: bool) -> str:
    surname = rng.choices(_SURNAME_CHARS, cum_weights=_SURNAME_CUM)[0]
    chars = FEMALE_GIVEN if female else MALE_GIVEN
    if rng.random() < 0.25:
        return surname + rng.choice(chars)
    first, second = rng.sample(chars, 2)
    return surname + first + second


def phone_numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct 11-digit mobile numbers."""
    seen: set[str] = set()
    numbers: list[str] = []
    while len(numbers) < count:
        number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers
