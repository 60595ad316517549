"""The two import templates: their Chinese column names, rules and examples.

One source for the validators, the downloadable XLSX templates and the
page that explains them, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from learning_app.models.members import CATEGORIES, STATUSES
from learning_app.models.orgs import ORG_KINDS

KINDS: dict[str, str] = {"orgs": "组织", "members": "党员"}

ORG_KIND_BY_LABEL = {label: key for key, label in ORG_KINDS.items()}
CATEGORY_BY_LABEL = {label: key for key, label in CATEGORIES.items()}
STATUS_BY_LABEL = {label: key for key, label in STATUSES.items()}

# Column names, used by the validators.
ORG_CODE, ORG_NAME, ORG_KIND, ORG_PARENT, ORG_SORT = (
    "组织编码", "组织名称", "组织类别", "上级组织编码", "排序")
M_CODE, M_NAME, M_PHONE, M_ORG, M_CATEGORY, M_EXEMPT, M_STATUS, M_JOINED, M_MOVED_IN = (
    "党员编号", "姓名", "手机号", "所在组织编码", "类别", "免学原因", "状态",
    "入党日期", "转入日期")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str
    allowed: str
    example: str


ORG_COLUMNS: tuple[Column, ...] = (
    Column(ORG_CODE, True, "组织的唯一编码，导入时按它识别同一个组织",
           "字母、数字和“-”，不超过32位", "QC-LQ-03"),
    Column(ORG_NAME, True, "组织全称", "不超过100字", "回龙村党支部"),
    Column(ORG_KIND, True, "组织类别", "、".join(ORG_KINDS.values()), ORG_KINDS["village"]),
    Column(ORG_PARENT, False, "上级组织的编码；只有根组织（县委）不填",
           "已有组织的编码，或同一文件中的组织（可写在下级之后）", "QC-LQ"),
    Column(ORG_SORT, False, "同级组织的排列顺序，小的在前", "整数，不填为0", "3"),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column(M_CODE, True, "党员的唯一编号，也是登录账号", "字母、数字、“-”和“_”，不超过32位",
           "QC202600123"),
    Column(M_NAME, True, "姓名", "不超过50字", "张明华"),
    Column(M_PHONE, False, "手机号，也可用来登录",
           "11位大陆手机号（1开头，第二位3-9），不能与他人重复", "13981234567"),
    Column(M_ORG, True, "所在党组织的编码", "已导入的组织编码", "QC-LQ-01"),
    Column(M_CATEGORY, False, "党员类别，决定年度学时目标",
           "、".join(CATEGORIES.values()) + "；不填为普通党员", CATEGORIES["member"]),
    Column(M_EXEMPT, False, "填写即为免学（不计入应学人数），留空为不免学",
           "如：年老体弱、长期外出、重病", ""),
    Column(M_STATUS, False, "在册状态", "、".join(STATUSES.values()) + "；不填为在册",
           STATUSES["active"]),
    Column(M_JOINED, False, "入党日期；新党员的组织关系从这天算起",
           "年-月-日，如 2015-07-01（也可写 2015/7/1），不晚于今天；不填为导入当天", "2015-07-01"),
    Column(M_MOVED_IN, False, "转入本组织的日期；填写时代替入党日期作为组织关系起始日",
           "同上", ""),
)

COLUMNS: dict[str, tuple[Column, ...]] = {"orgs": ORG_COLUMNS, "members": MEMBER_COLUMNS}


def required_columns(kind: str) -> list[str]:
    return [column.name for column in COLUMNS[kind] if column.required]
