"""The site navigation: sections and monthly issues, never every article.

Material renders the whole navigation into every page, so listing each
article makes a build grow with (pages x articles); this keeps it linear.
"""

from __future__ import annotations

from typing import Any

from site_builder.articles import SECTIONS
from site_builder.indexes import issue_label, issue_src

NAV_ISSUES = 12  # a year of issues; older ones are one tap away in the archive


def build_nav(issues: list[str], *, has_home: bool) -> list[Any]:
    """Sections, the latest monthly issues and the archive; never articles.

    A fixed number of issues keeps every page's navigation the same size
    however long the column runs, so build time grows linearly.
    """
    recent = sorted(issues, reverse=True)[:NAV_ISSUES]
    column: list[Any] = ["column/index.md"]
    column += [{issue_label(issue): issue_src(issue)} for issue in recent]
    if len(issues) > NAV_ISSUES:
        column.append({"往期回顾": "column/archive.md"})
    nav: list[Any] = [{"首页": "index.md"}] if has_home else []
    nav += [
        {SECTIONS["policy"]: "policy/index.md"},
        {SECTIONS["column"]: column},
        {SECTIONS["news"]: "news/index.md"},
        {"标签": "tags/index.md"},
    ]
    return nav
