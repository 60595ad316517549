"""The demo accounts, one per role and one per review level of the newsroom, all with
the documented demo password."""

from __future__ import annotations

from dataclasses import dataclass

# Documented in README.md; only ever loaded into a demo database.
DEMO_PASSWORD = "Demo@2026"
DEMO_VILLAGE = "QC-LQ-01"  # 龙泉镇 杨柳湾村党支部
DEMO_TOWNSHIP = "QC-LQ"


@dataclass(frozen=True)
class DemoAccount:
    code: str
    name: str
    female: bool
    org_code: str  # where the person is a member
    category: str
    role: str
    scope_code: str | None  # the subtree an admin manages


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo-member", "张秀兰", True, DEMO_VILLAGE, "member", "member", None),
    DemoAccount("demo-secretary", "李春梅", True, DEMO_VILLAGE, "secretary", "org_admin",
                DEMO_VILLAGE),
    DemoAccount("demo-township", "王建军", False, DEMO_TOWNSHIP, "secretary", "org_admin",
                DEMO_TOWNSHIP),
    DemoAccount("demo-editor", "陈静", True, "QC-D-XCB", "member", "editor", None),
    DemoAccount("demo-admin", "刘国平", False, "QC-D-ZZB", "member", "county_admin", "QC"),
    # The newsroom's three review levels (初审 → 复审 → 终审签发): members of the
    # propaganda department with no admin role; reviewing comes from the level.
    # demo-township also reviews at 初审 (a township admin who also reviews).
    DemoAccount("demo-review1", "赵立新", False, "QC-D-XCB", "member", "member", None),
    DemoAccount("demo-review2", "孙红梅", True, "QC-D-XCB", "member", "member", None),
    DemoAccount("demo-review3", "周志刚", False, "QC-D-XCB", "member", "member", None),
)
# Who reviews at each level in the demo, by account code.
DEMO_LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("初审", ("demo-review1", "demo-township")),
    ("复审", ("demo-review2",)),
    ("终审签发", ("demo-review3",)),
)
