"""What the review pages show, read from the database: an article's facts, its
trail, the site build that carries it, its revisions and their diffs. No Flask
here: ``review_views`` renders these.

Everything comes out as the staff read it: Chinese labels, Beijing time, 第N版.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from learning_app.errors import Refused
from learning_app.models import Article, Member, NewsArticle, NewsRevision, NewsStep, SiteBuild
from learning_app.models.newsroom import BUILD_STATES, SECTIONS
from learning_app.models.types import TZ
from learning_app.newsroom import rules, service
from learning_app.newsroom.publish import go_live_utc, is_future, site_today
from learning_app.newsroom.rules import Situation
from learning_app.newsroom.service import AnySession
from site_builder.articles import directory_url
from site_builder.frontmatter import CATEGORIES


def beijing(moment: dt.datetime | None) -> str:
    """A stored moment (naive UTC) as Beijing wall-clock time: 2027年3月10日 10:05."""
    if moment is None:
        return ""
    local = moment.replace(tzinfo=dt.UTC).astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def chinese_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def level_label(names: tuple[str, ...], level: int) -> str:
    return names[level - 1] if 1 <= level <= len(names) else (f"第{level}级" if level else "")


def status_text(facts: Situation) -> str:
    """The state in Chinese, with the level it waits at: 审核中（复审）."""
    text = rules.status_label(facts.state, facts.live)
    if facts.state == "in_review":
        text += f"（{rules.level_name(facts, facts.level)}）"
    return text


def names_of(session: AnySession, ids: set[int | None]) -> dict[int, str]:
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(wanted))).all())


def revisions(session: AnySession, article: NewsArticle) -> list[NewsRevision]:
    return list(session.scalars(select(NewsRevision).where(
        NewsRevision.article_id == article.id).order_by(NewsRevision.number)))


# -- the trail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailRow:
    at: str
    who: str
    number: int
    action: str
    level: str
    comment: str | None
    secrecy: bool


def trail_rows(session: AnySession, article: NewsArticle, level_names: tuple[str, ...]
               ) -> list[TrailRow]:
    steps = service.trail(session, article.id)
    numbers = dict(session.execute(select(NewsRevision.id, NewsRevision.number).where(
        NewsRevision.article_id == article.id)).all())
    names = names_of(session, {step.actor_id for step in steps})
    rows = []
    for step in steps:
        action = rules.STEPS.get(step.action, "其他操作")
        level = level_label(level_names, step.level)
        rows.append(TrailRow(
            at=beijing(step.at),
            who=names.get(step.actor_id, "") if step.actor_id else service.PUBLISHER,
            number=numbers.get(step.revision_id, 0), action=action,
            # "终审签发（终审签发）" says nothing twice: the level only when it adds.
            level="" if level == action else level,
            comment=step.comment, secrecy=step.secrecy_confirmed))
    return rows


# -- the site ------------------------------------------------------------------------------


def site_url(session: AnySession, article: NewsArticle) -> str | None:
    """The article's page on the site while it is served there."""
    if article.published_revision_id is None or article.state == "withdrawn":
        return None
    synced = session.get(Article, article.article_id)
    if synced is not None and synced.url:
        return "/" + synced.url.lstrip("/")
    return "/" + directory_url(article.path)


@dataclass(frozen=True)
class BuildView:
    status: str  # a key of BUILD_STATES
    label: str  # 排队中 / 构建中 / 已上线 / 失败 (撤稿: 已从网站撤下)
    error: str | None = None
    at: str = ""


SITE_STATES = ("approved", "scheduled", "published", "withdrawn")


def build_view(session: AnySession, article: NewsArticle, now: dt.datetime) -> BuildView | None:
    """The site build that carries the article's last 签发 (or its 撤稿): the first
    build that started after it and went live, else the latest such build
    (queued, building, failed). None when no build concerns it (yet): a scheduled
    article before its day waits for the build of that day."""
    if article.state not in SITE_STATES:
        return None
    step = session.scalars(select(NewsStep).where(
        NewsStep.article_id == article.id, NewsStep.action.in_(("sign", "withdraw")))
        .order_by(NewsStep.id.desc()).limit(1)).first()
    if step is None:
        return None
    since = step.at
    if step.action == "sign" and article.publish_on is not None:
        if article.state == "scheduled" and is_future(article.publish_on, now):
            return None
        since = max(since, go_live_utc(article.publish_on))
    builds = list(session.scalars(select(SiteBuild).where(
        (SiteBuild.started_at.is_(None) & (SiteBuild.status == "queued"))
        | (SiteBuild.started_at >= since)).order_by(SiteBuild.id)))
    if not builds:
        return None
    live = next((build for build in builds if build.status == "live"), None)
    build = live or builds[-1]
    label = BUILD_STATES.get(build.status, "")
    if step.action == "withdraw" and build.status == "live":
        label = "已从网站撤下"
    return BuildView(status=build.status, label=label,
                     error=build.error if build.status == "failed" else None,
                     at=beijing(build.finished_at or build.started_at or build.requested_at))


# -- revisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionRow:
    id: int
    number: int
    author: str
    at: str
    note: str | None
    published: list[str]  # when it went live (Beijing time), once per publication
    current: bool
    live: bool

    @property
    def label(self) -> str:
        return f"第{self.number}版 · {self.author} · {self.at}"


def revision_rows(session: AnySession, article: NewsArticle) -> list[RevisionRow]:
    """Every revision, oldest first, with when each went live."""
    found = revisions(session, article)
    names = names_of(session, {revision.author_id for revision in found})
    published: dict[int, list[str]] = {}
    for revision_id, at in session.execute(select(NewsStep.revision_id, NewsStep.at).where(
            NewsStep.article_id == article.id, NewsStep.action == "publish")
            .order_by(NewsStep.id)):
        published.setdefault(revision_id, []).append(beijing(at))
    live = article.published_revision_id if article.state != "withdrawn" else None
    return [RevisionRow(id=revision.id, number=revision.number,
                        author=names.get(revision.author_id, ""), at=beijing(revision.created_at),
                        note=revision.note, published=published.get(revision.id, []),
                        current=revision.id == article.current_revision_id,
                        live=revision.id == live)
            for revision in found]


# -- diffs -------------------------------------------------------------------------------------

META_LABELS: dict[str, str] = {
    "title": "标题", "date": "日期", "category": "类别", "department": "发布部门",
    "tags": "标签", "summary": "摘要", "credit": "学时", "id": "文章编号",
}
_META_LINE = re.compile(r"^([a-z_]+): ?(.*)$")


@dataclass(frozen=True)
class DiffRow:
    kind: str  # rules.DiffLine's: same, add, del, skip
    number: int | None  # the line's number in its version (the old one for a deletion)
    text: str


def front_matter_end(revision: NewsRevision) -> int:
    """The line number of the closing ``---`` of the revision as a file."""
    lines = rules.as_markdown(revision.front_matter, revision.body).split("\n")
    return lines.index("---", 1) + 1 if "---" in lines[1:] else 0


def _meta_text(text: str, number: int) -> str:
    if text.strip() == "---":
        return "【稿件信息】" if number == 1 else "【正文】"
    found = _META_LINE.match(text)
    if found is None or found.group(1) not in META_LABELS:
        return text
    key, value = found.groups()
    if key == "category":
        value = CATEGORIES.get(value, value)
    return f"{META_LABELS[key]}：{value}"


def diff_rows(lines: list[rules.DiffLine], old: NewsRevision, new: NewsRevision
              ) -> list[DiffRow]:
    """The diff as staff read it: the front matter's lines as 标题：…, 日期：… (the file's
    keys are English), the body's as written."""
    ends = {"old": front_matter_end(old), "new": front_matter_end(new)}
    rows: list[DiffRow] = []
    for line in lines:
        side = "old" if line.kind == "del" else "new"
        number = line.old if side == "old" else line.new
        text = line.text
        if number is not None and number <= ends[side]:
            text = _meta_text(text, number)
        rows.append(DiffRow(line.kind, number, text))
    return rows


# -- the signing form ----------------------------------------------------------------------


def needs_reason(session: AnySession, article: NewsArticle, revision: NewsRevision,
                 now: dt.datetime) -> bool:
    """Whether 终审签发 of ``revision`` needs a reason for its early date (the rule's
    own test, with the date already on the site exempt)."""
    try:
        date = rules.article_date(revision.front_matter)
    except Refused:
        return False
    live_date = None
    if article.published_revision_id is not None and article.state != "withdrawn":
        live = session.get(NewsRevision, article.published_revision_id)
        if live is not None:
            try:
                live_date = rules.article_date(live.front_matter)
            except Refused:
                live_date = None
    return rules.backdate_problem(date, site_today(now), live_date, None) is not None


def section_name(section: str) -> str:
    return SECTIONS.get(section, "")
