"""The review workflow's transactions: each function loads the article under a
lock, asks ``rules`` what may happen, writes the revision, the step of the trail
and the audit event, and commits (``mark_published`` can join its caller's
transaction instead).

The lock: ``begin_write`` (SQLite's write lock from the start) and ``SELECT …
FOR UPDATE`` on the article row (PostgreSQL), so two reviewers deciding at once
are serialised and the second finds the article moved on (refused, 409).
Every decision names the level and the revision the reviewer looked at.

The publishing code (``newsroom/publish*``) takes it from ``final_approve``
(state ``approved``, or ``scheduled`` until the article's date) and calls
``mark_published`` once the new site is served.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, scoped_session
from sqlalchemy.sql.elements import ColumnElement

from learning_app.audit.service import record
from learning_app.auth.roles import role_of
from learning_app.db import begin_write, rollback_on_error
from learning_app.errors import Refused
from learning_app.models import (
    Article,
    LevelReviewer,
    Member,
    NewsArticle,
    NewsRevision,
    NewsroomSetting,
    NewsStep,
    ReviewLevel,
    SensitiveWord,
)
from learning_app.models.newsroom import SECTIONS
from learning_app.models.types import local_date
from learning_app.newsroom import rules
from learning_app.newsroom.rules import Actor, Situation
from learning_app.newsroom.words import SensitiveWordsFound, Word, article_texts, find_hits
from site_builder.drafts import path_problem

AnySession = Session | scoped_session[Session]
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # contract 1 ``id``
PUBLISHER = "自动发布"
APPROVALS = ("approve", "sign")
P = ParamSpec("P")
R = TypeVar("R")


def _transaction(func: Callable[Concatenate[AnySession, P], R]
                 ) -> Callable[Concatenate[AnySession, P], R]:
    """A refusal (or any error) leaves nothing written and no lock held."""

    @functools.wraps(func)
    def wrapper(session: AnySession, *args: P.args, **kwargs: P.kwargs) -> R:
        with rollback_on_error(session):
            return func(session, *args, **kwargs)

    return wrapper


# -- loading -------------------------------------------------------------------------


def _lock(session: AnySession, article_id: int) -> NewsArticle:
    """The article, locked for this transaction (begin_write first), as stored now."""
    article = session.execute(
        select(NewsArticle).where(NewsArticle.id == article_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if article is None:
        raise Refused(404, "没有找到这篇稿件")
    return article


def level_names(session: AnySession) -> tuple[str, ...]:
    return tuple(session.scalars(select(ReviewLevel.name).order_by(ReviewLevel.position)))


def member_levels(session: AnySession, member_id: int) -> frozenset[int]:
    """The positions of the levels ``member_id`` reviews at."""
    return frozenset(session.scalars(
        select(ReviewLevel.position).join(LevelReviewer, LevelReviewer.level_id == ReviewLevel.id)
        .where(LevelReviewer.member_id == member_id)))


def actor_of(session: AnySession, member: Member) -> Actor:
    """The member as the rules see them (views use it to offer only allowed actions)."""
    return Actor(id=member.id, editor=role_of(member.role).editor, active=member.is_active,
                 levels=member_levels(session, member.id))


def _revision(session: AnySession, article: NewsArticle, revision_id: int | None
              ) -> NewsRevision:
    revision = session.get(NewsRevision, revision_id) if revision_id is not None else None
    if revision is None or revision.article_id != article.id:
        raise Refused(404, "没有找到这个版本")
    return revision


def _live(article: NewsArticle) -> bool:
    return article.published_revision_id is not None and article.state != "withdrawn"


def _last_submit(session: AnySession, article_id: int) -> int:
    return session.scalar(select(func.max(NewsStep.id)).where(
        NewsStep.article_id == article_id, NewsStep.action == "submit")) or 0


DECISIONS = ("approve", "sign", "return", "edit")  # a reviewer acted in the round


def situation(session: AnySession, article: NewsArticle) -> Situation:
    current = _revision(session, article, article.current_revision_id)
    last_submit = _last_submit(session, article.id)
    submitter = session.scalar(select(NewsStep.actor_id).where(NewsStep.id == last_submit)
                               ) if last_submit else None
    decided = session.scalar(select(NewsStep.id).where(
        NewsStep.article_id == article.id, NewsStep.action.in_(DECISIONS),
        NewsStep.id > last_submit).limit(1)) is not None
    authored = select(NewsRevision.author_id).where(NewsRevision.article_id == article.id)
    if article.published_revision_id is not None:
        authored = authored.where(NewsRevision.id > article.published_revision_id)
    approvers = select(NewsStep.actor_id).where(
        NewsStep.article_id == article.id, NewsStep.action.in_(APPROVALS),
        NewsStep.revision_id == current.id,
        NewsStep.id > last_submit)
    return Situation(
        state=article.state, level=article.level, level_names=level_names(session),
        current_revision_id=current.id, current_number=current.number, live=_live(article),
        edition_authors=frozenset(session.scalars(authored.distinct())),
        round_approvers=frozenset(a for a in session.scalars(approvers) if a is not None),
        submitter=submitter, round_decided=decided)


def _sensitive_words(session: AnySession) -> list[Word]:
    return [Word(word, suggestion) for word, suggestion in
            session.execute(select(SensitiveWord.word, SensitiveWord.suggestion))]


def _check_words(session: AnySession, front_matter: Mapping[str, Any], body: str) -> None:
    hits = find_hits(article_texts(front_matter, body), _sensitive_words(session))
    if hits:
        raise SensitiveWordsFound(hits)


def _refuse_nul(front_matter: Mapping[str, Any], body: str) -> None:
    """A NUL character is no text (PostgreSQL can't even store it in a text column,
    and the app's input guard refuses it in requests): refused before any write."""
    if "\x00" in body or "\x00" in json.dumps(dict(front_matter), default=str):
        raise Refused(400, "稿件含有空字符（通常来自复制粘贴），请删除后再保存")


def _checked_text(article: NewsArticle, front_matter: Mapping[str, Any]) -> dict[str, Any]:
    """What the workflow itself needs of a text: a title, a date, and the article's
    id, which is written into the front matter (ids never change)."""
    title = front_matter.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Refused(400, "请填写标题")
    rules.article_date(front_matter)
    if front_matter.get("id", article.article_id) != article.article_id:
        raise Refused(400, "文章编号一经确定不能修改（学时记录依赖它）")
    return {**front_matter, "id": article.article_id}


# -- writing the trail ---------------------------------------------------------------


def _title(front_matter: Mapping[str, Any]) -> str:
    title = front_matter.get("title")
    return title if isinstance(title, str) else ""


def _step(session: AnySession, article: NewsArticle, revision_id: int, actor: Member | None,
          action: str, now: dt.datetime, *, level: int = 0, comment: str | None = None,
          secrecy_confirmed: bool = False) -> NewsStep:
    step = NewsStep(article_id=article.id, revision_id=revision_id,
                    actor_id=actor.id if actor else None, action=action, level=level,
                    comment=(comment or "").strip() or None,
                    secrecy_confirmed=secrecy_confirmed, at=now)
    session.add(step)
    return step


def _audit(session: AnySession, action: str, article: NewsArticle, revision: NewsRevision,
           now: dt.datetime, *, actor: Member | None, detail: str, before: str | None = None,
           actor_label: str | None = None) -> None:
    record(session, action, actor=actor, actor_label=actor_label,
           target_label=f"《{_title(revision.front_matter)}》（{article.article_id}）",
           before={"state": before} if before else None,
           after={"state": article.state, "level": article.level, "revision": revision.number},
           detail=detail, at=now)


def _new_revision(session: AnySession, article: NewsArticle, after: NewsRevision,
                  front_matter: Mapping[str, Any], body: str, author: Member,
                  now: dt.datetime, note: str | None) -> NewsRevision:
    revision = NewsRevision(article_id=article.id, number=after.number + 1,
                            front_matter=dict(front_matter), body=body, author_id=author.id,
                            created_at=now, note=note)
    session.add(revision)
    session.flush()
    article.current_revision_id = revision.id
    if article.published_revision_id is None and article.section == "column":
        # A column article not yet on the site follows its date to the month's issue.
        article.path = rules.article_path(article.section, article.article_id,
                                          rules.article_date(front_matter))
    return revision


def _same_text(revision: NewsRevision, front_matter: Mapping[str, Any], body: str) -> bool:
    return dict(revision.front_matter) == dict(front_matter) and revision.body == body


# -- the editor ----------------------------------------------------------------------


@_transaction
def create_article(session: AnySession, actor: Member, *, section: str, article_id: str,
                   front_matter: Mapping[str, Any], body: str, now: dt.datetime
                   ) -> NewsArticle:
    """A new draft (revision 1) for ``section``, with its contract-1 id. Commits."""
    if section not in SECTIONS:
        raise Refused(400, "栏目不正确")
    if not ID_PATTERN.fullmatch(article_id or "") or len(article_id) > 80:
        raise Refused(400, "文章编号只能用小写字母、数字和连字符，例如 liangbuchou-exit")
    begin_write(session)
    rules.check_write(Situation("draft", 0, (), None), actor_of(session, actor))
    taken = session.scalar(select(NewsArticle.id).where(NewsArticle.article_id == article_id))
    if taken is not None or session.get(Article, article_id) is not None:
        raise Refused(409, "这个文章编号已被使用，请换一个")
    article = NewsArticle(article_id=article_id, section=section, state="draft", level=0,
                          created_by=actor.id, created_at=now, updated_at=now)
    _refuse_nul(front_matter, body)
    fm = _checked_text(article, front_matter)
    article.path = rules.article_path(section, article_id, rules.article_date(fm))
    if path_problem(article.path) is not None:  # a name the site uses (index, booklet)
        raise Refused(400, "这个文章编号是网站保留的名称，请换一个")
    session.add(article)
    session.flush()
    revision = NewsRevision(article_id=article.id, number=1, front_matter=fm, body=body,
                            author_id=actor.id, created_at=now)
    session.add(revision)
    session.flush()
    article.current_revision_id = revision.id
    _step(session, article, revision.id, actor, "save", now)
    session.commit()
    return article


@_transaction
def save_draft(session: AnySession, article_id: int, actor: Member, *, base_revision_id: int,
               front_matter: Mapping[str, Any], body: str, now: dt.datetime,
               correction_note: str | None = None) -> NewsRevision:
    """An editor's new revision (unchanged text: none). On a signed-off article the
    approval lapses (back to draft); on a live one it starts a correction, and
    ``correction_note`` puts a dated entry into its 更正说明. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    current = _revision(session, article, article.current_revision_id)
    state_before = article.state
    outcome = rules.check_write(situation(session, article), actor_of(session, actor))
    if base_revision_id != current.id:
        raise Refused(409, f"稿件已被他人修改（现为第{current.number}版），"
                           "请复制您的修改，刷新后再保存")
    _refuse_nul(front_matter, body)
    front_matter = _checked_text(article, front_matter)
    if correction_note is not None:
        if not _live(article):
            raise Refused(400, "稿件还没有上线，不需要更正说明")
        body = rules.add_correction_notice(body, local_date(now), correction_note)
    if _same_text(current, front_matter, body):
        session.rollback()
        return current
    note = "更正" if _live(article) else None
    revision = _new_revision(session, article, current, front_matter, body, actor, now, note)
    article.state, article.level = outcome
    article.updated_at = now
    _step(session, article, revision.id, actor, "save", now, comment=correction_note)
    if state_before in rules.SIGNED or state_before == "published":
        detail = ("修改已上线的稿件（更正），须重新送审" if _live(article)
                  else "修改已签发的稿件，签发作废，须重新送审")
        _audit(session, "news_edit", article, revision, now, actor=actor, detail=detail,
               before=state_before)
    session.commit()
    return revision


@_transaction
def restore(session: AnySession, article_id: int, actor: Member, *, revision_id: int,
            note: str, now: dt.datetime) -> NewsRevision:
    """A published version back as a new revision (with a 更正说明 entry), to go
    through review like any correction. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    old = _revision(session, article, revision_id)
    current = _revision(session, article, article.current_revision_id)
    was_published = session.scalar(select(NewsStep.id).where(
        NewsStep.revision_id == old.id, NewsStep.action == "publish").limit(1)) is not None
    state_before = article.state
    outcome = rules.check_restore(situation(session, article), actor_of(session, actor),
                                  was_published=was_published)
    live = _revision(session, article, article.published_revision_id)
    if old.id == live.id:
        raise Refused(400, "这就是线上的版本，不需要恢复")
    body = rules.restored_body(old.body, live.body, local_date(now), note)
    revision = _new_revision(session, article, current, old.front_matter, body, actor, now,
                             f"恢复第{old.number}版")
    article.state, article.level = outcome
    article.updated_at = now
    _step(session, article, revision.id, actor, "restore", now,
          comment=f"恢复第{old.number}版：{note}")
    _audit(session, "news_edit", article, revision, now, actor=actor, before=state_before,
           detail=f"恢复已上线过的第{old.number}版，须重新送审")
    session.commit()
    return revision


@_transaction
def submit(session: AnySession, article_id: int, actor: Member, *, revision_id: int,
           now: dt.datetime, comment: str | None = None) -> NewsArticle:
    """Send the current revision to the first level. Refused while it carries a
    错敏词 (``SensitiveWordsFound`` lists every hit). Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    current = _revision(session, article, article.current_revision_id)
    problem = None
    if _live(article):
        live = _revision(session, article, article.published_revision_id)
        problem = rules.correction_problem((live.front_matter, live.body),
                                           (current.front_matter, current.body))
    state_before = article.state
    outcome = rules.check_submit(situation(session, article), actor_of(session, actor),
                                 revision_id=revision_id, correction_problem=problem)
    _checked_text(article, current.front_matter)
    _check_words(session, current.front_matter, current.body)
    article.state, article.level = outcome
    article.updated_at = now
    _step(session, article, current.id, actor, "submit", now, comment=comment)
    _audit(session, "news_submit", article, current, now, actor=actor, before=state_before,
           detail=f"送审第{current.number}版")
    session.commit()
    return article


@_transaction
def recall(session: AnySession, article_id: int, actor: Member, *, now: dt.datetime,
           comment: str | None = None) -> NewsArticle:
    """撤回送审: the submitter takes the article back as a draft, before any
    reviewer decided in this round (``rules.check_recall``). Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    state_before = article.state
    article.state, article.level = rules.check_recall(situation(session, article),
                                                      actor_of(session, actor))
    article.updated_at = now
    current = _revision(session, article, article.current_revision_id)
    _step(session, article, current.id, actor, "recall", now, comment=comment)
    _audit(session, "news_recall", article, current, now, actor=actor, before=state_before,
           detail=f"撤回送审的第{current.number}版")
    session.commit()
    return article


# -- the reviewers -------------------------------------------------------------------


@_transaction
def approve(session: AnySession, article_id: int, actor: Member, *, level: int,
            revision_id: int, now: dt.datetime, comment: str | None = None) -> NewsArticle:
    """Approval at a level before the last: the article waits at the next. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    facts = situation(session, article)
    article.state, article.level = rules.check_approve(facts, actor_of(session, actor),
                                                       level=level, revision_id=revision_id)
    article.updated_at = now
    current = _revision(session, article, article.current_revision_id)
    _step(session, article, current.id, actor, "approve", now, level=level, comment=comment)
    _audit(session, "news_approve", article, current, now, actor=actor, before="in_review",
           detail=f"{rules.level_name(facts, level)}通过第{current.number}版")
    session.commit()
    return article


@_transaction
def final_approve(session: AnySession, article_id: int, actor: Member, *, level: int,
                  revision_id: int, now: dt.datetime, secrecy_confirmed: bool,
                  backdate_reason: str | None = None, comment: str | None = None,
                  publish: Callable[[AnySession, NewsArticle, NewsRevision], Any] | None = None
                  ) -> NewsArticle:
    """终审签发: "approved" when the article's date is today or earlier, else
    "scheduled" for that date. A date before today (other than the one already on
    the site) needs ``backdate_reason``, kept in the step's comment.

    ``publish`` (the app passes ``jobs.publish_signed``) runs with the approval
    still pending and commits it with the build request, so a text that can't be
    written into content/ is not signed off either. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    facts = situation(session, article)
    current = _revision(session, article, article.current_revision_id)
    today = local_date(now)
    live_date = None
    if _live(article):
        live_date = rules.article_date(
            _revision(session, article, article.published_revision_id).front_matter)
    date = rules.article_date(current.front_matter)
    article.state, article.level = rules.check_final_approve(
        facts, actor_of(session, actor), level=level, revision_id=revision_id,
        secrecy_confirmed=secrecy_confirmed, date=date, today=today, live_date=live_date,
        backdate_reason=backdate_reason)
    _check_words(session, current.front_matter, current.body)  # the list may have grown
    backdated = date < today and date != live_date
    notes = [comment or "", f"日期早于签发日的理由：{backdate_reason.strip()}"
             if backdated and backdate_reason else ""]
    article.publish_on = date
    article.updated_at = now
    _step(session, article, current.id, actor, "sign", now, level=level,
          comment="\n".join(note for note in notes if note.strip()), secrecy_confirmed=True)
    when = (f"定于{date:%Y年%m月%d日}上线" if article.state == "scheduled" else "待上线")
    _audit(session, "news_approve", article, current, now, actor=actor, before="in_review",
           detail=f"{rules.level_name(facts, level)}签发第{current.number}版，{when}"
                  + ("（日期早于签发日，已写明理由）" if backdated else ""))
    if publish is not None:
        session.flush()
        publish(session, article, current)
    session.commit()
    return article


@_transaction
def return_article(session: AnySession, article_id: int, actor: Member, *, level: int,
                   revision_id: int, comment: str, now: dt.datetime) -> NewsArticle:
    """Back to the editors with the reviewer's comments; resubmitting starts at
    level 1. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    facts = situation(session, article)
    article.state, article.level = rules.check_return(
        facts, actor_of(session, actor), level=level, revision_id=revision_id, comment=comment)
    article.updated_at = now
    current = _revision(session, article, article.current_revision_id)
    _step(session, article, current.id, actor, "return", now, level=level, comment=comment)
    _audit(session, "news_return", article, current, now, actor=actor, before="in_review",
           detail=f"{rules.level_name(facts, level)}退回第{current.number}版")
    session.commit()
    return article


@_transaction
def reviewer_edit(session: AnySession, article_id: int, actor: Member, *, level: int,
                  base_revision_id: int, front_matter: Mapping[str, Any], body: str,
                  now: dt.datetime, comment: str | None = None) -> NewsRevision:
    """A reviewer's edit at ``level``: a new revision, reviewed again from level 1
    (the editor, now one of its authors, can't approve it). Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    facts = situation(session, article)
    article.state, article.level = rules.check_edit(
        facts, actor_of(session, actor), level=level, base_revision_id=base_revision_id)
    current = _revision(session, article, article.current_revision_id)
    _refuse_nul(front_matter, body)
    front_matter = _checked_text(article, front_matter)
    if _same_text(current, front_matter, body):
        raise Refused(400, "内容没有改动；如同意请点“通过”")
    if _live(article):
        live = _revision(session, article, article.published_revision_id)
        problem = rules.correction_problem((live.front_matter, live.body), (front_matter, body))
        if problem:
            raise Refused(400, problem)
    _check_words(session, front_matter, body)
    name = rules.level_name(facts, level)
    revision = _new_revision(session, article, current, front_matter, body, actor, now,
                             f"{name}修改")
    article.updated_at = now
    _step(session, article, revision.id, actor, "edit", now, level=level, comment=comment)
    _audit(session, "news_edit", article, revision, now, actor=actor, before="in_review",
           detail=f"{name}修改为第{revision.number}版，重新从{rules.level_name(facts, 1)}审核")
    session.commit()
    return revision


@_transaction
def withdraw(session: AnySession, article_id: int, actor: Member, *, reason: str,
             now: dt.datetime,
             take_down: Callable[[AnySession, NewsArticle, NewsRevision], Any] | None = None
             ) -> NewsArticle:
    """撤稿: final; credits already earned stay. ``take_down`` (the app passes
    ``jobs.take_down``: the files out of content/, the id retired, a build) runs
    with the withdrawal pending and commits it, so a page that can't be taken
    down is not marked withdrawn either. Commits."""
    begin_write(session)
    article = _lock(session, article_id)
    state_before = article.state
    article.state, article.level = rules.check_withdraw(
        situation(session, article), actor_of(session, actor), reason=reason)
    article.updated_at = now
    revision = _revision(session, article,
                         article.published_revision_id or article.current_revision_id)
    _step(session, article, revision.id, actor, "withdraw", now, comment=reason)
    _audit(session, "news_withdraw", article, revision, now, actor=actor, before=state_before,
           detail=f"撤稿：{reason.strip()}")
    if take_down is not None:
        session.flush()
        take_down(session, article, revision)
    session.commit()
    return article


# -- publishing ----------------------------------------------------------------------


def mark_published(session: AnySession, article: NewsArticle, revision: NewsRevision,
                   now: dt.datetime, *, commit: bool = True) -> NewsArticle:
    """Record that ``revision`` is served now: the article's published revision,
    ``went_live_at`` (the real moment, first publication only) and a "publish"
    step by nobody (the runner). Refused unless the revision was signed off at
    the last level, its date has come, and no newer version is live. A second
    call for the same revision changes nothing.

    ``commit=False`` joins the caller's transaction (which must have called
    ``begin_write``) and leaves the commit to it."""
    article_id, revision_id = article.id, revision.id
    if not commit:
        return _mark_published(session, article_id, revision_id, now)
    with rollback_on_error(session):
        begin_write(session)
        published = _mark_published(session, article_id, revision_id, now)
        session.commit()
        return published


def _mark_published(session: AnySession, article_id: int, revision_id: int,
                    now: dt.datetime) -> NewsArticle:
    article = _lock(session, article_id)
    revision = _revision(session, article, revision_id)
    if article.published_revision_id == revision.id and article.state != "withdrawn":
        return article
    signed = session.scalar(select(NewsStep.id).where(
        NewsStep.revision_id == revision.id, NewsStep.action == "sign").limit(1)) is not None
    published_number = None
    if article.published_revision_id is not None:
        published_number = _revision(session, article, article.published_revision_id).number
    state_before = article.state
    article.state = rules.check_publish(
        state=article.state, final_approved=signed, number=revision.number,
        published_number=published_number, is_current=revision.id == article.current_revision_id,
        date=rules.article_date(revision.front_matter), today=local_date(now))
    if article.state == "published":
        article.level = 0
    first = article.went_live_at is None
    article.published_revision_id = revision.id
    if first:
        article.went_live_at = now
    article.updated_at = now
    _step(session, article, revision.id, None, "publish", now,
          comment=None if first else "更正后的版本上线")
    _audit(session, "news_publish", article, revision, now, actor=None, actor_label=PUBLISHER,
           before=state_before, detail=f"第{revision.number}版上线" + ("" if first else "（更正）"))
    session.flush()
    return article


# -- reading -------------------------------------------------------------------------


def _waiting_for(member_id: int) -> ColumnElement[bool]:
    """Articles waiting at a level ``member_id`` reviews, which they may decide on:
    not of their own writing, and not already approved by them in this round."""
    levels = (select(ReviewLevel.position)
              .join(LevelReviewer, LevelReviewer.level_id == ReviewLevel.id)
              .where(LevelReviewer.member_id == member_id))
    authored = exists().where(
        NewsRevision.article_id == NewsArticle.id, NewsRevision.author_id == member_id,
        or_(NewsArticle.published_revision_id.is_(None),
            NewsRevision.id > NewsArticle.published_revision_id))
    submits = aliased(NewsStep)
    last_submit = (select(func.max(submits.id))
                   .where(submits.article_id == NewsArticle.id, submits.action == "submit")
                   .correlate(NewsArticle).scalar_subquery())
    approved = exists().where(
        NewsStep.article_id == NewsArticle.id, NewsStep.actor_id == member_id,
        NewsStep.action.in_(APPROVALS), NewsStep.revision_id == NewsArticle.current_revision_id,
        NewsStep.id > last_submit)
    return and_(NewsArticle.state == "in_review", NewsArticle.level.in_(levels),
                ~authored, ~approved)


def waiting_for(session: AnySession, member_id: int) -> list[NewsArticle]:
    """待我审核: oldest waiting first."""
    return list(session.scalars(select(NewsArticle).where(_waiting_for(member_id))
                                .order_by(NewsArticle.updated_at, NewsArticle.id)))


def waiting_count(session: AnySession, member_id: int) -> int:
    """The menu's 待我审核 count: one query."""
    return session.scalar(select(func.count()).select_from(NewsArticle)
                          .where(_waiting_for(member_id))) or 0


def approvers(session: AnySession, article: NewsArticle, revision: NewsRevision
              ) -> list[tuple[str, str]]:
    """(level name, member name) of the approvals of ``revision`` in its last round
    of review, in level order: who a publish commit names."""
    names = level_names(session)
    rows = session.execute(
        select(NewsStep.level, Member.name).join(Member, Member.id == NewsStep.actor_id)
        .where(NewsStep.article_id == article.id, NewsStep.revision_id == revision.id,
               NewsStep.action.in_(APPROVALS), NewsStep.id > _last_submit(session, article.id))
        .order_by(NewsStep.level, NewsStep.id)).all()
    return [(names[level - 1] if 0 < level <= len(names) else f"第{level}级", name)
            for level, name in rows]


def trail(session: AnySession, article_id: int) -> list[NewsStep]:
    """The article's review trail, oldest first."""
    return list(session.scalars(select(NewsStep).where(NewsStep.article_id == article_id)
                                .order_by(NewsStep.id)))


def diff(session: AnySession, article_id: int, old_revision_id: int, new_revision_id: int,
         *, context: int = 3) -> list[rules.DiffLine]:
    """The line diff of two revisions of one article (front matter and body)."""
    article = session.get(NewsArticle, article_id)
    if article is None:
        raise Refused(404, "没有找到这篇稿件")
    old = _revision(session, article, old_revision_id)
    new = _revision(session, article, new_revision_id)
    return rules.revision_diff((old.front_matter, old.body), (new.front_matter, new.body),
                               context=context)


# -- the county's settings -----------------------------------------------------------


def _require_setup(actor: Member) -> None:
    if not (role_of(actor.role).newsroom_admin and actor.is_active):
        raise Refused(403, "只有县委组织部管理员可以设置在线采编")


def levels_config(session: AnySession) -> list[tuple[str, list[int]]]:
    """The levels in order, each with its members' ids."""
    rows = session.execute(
        select(ReviewLevel.position, ReviewLevel.name, LevelReviewer.member_id)
        .outerjoin(LevelReviewer, LevelReviewer.level_id == ReviewLevel.id)
        .order_by(ReviewLevel.position, LevelReviewer.member_id)).all()
    config: dict[int, tuple[str, list[int]]] = {}
    for position, name, member_id in rows:
        entry = config.setdefault(position, (name, []))
        if member_id is not None:
            entry[1].append(member_id)
    return list(config.values())


@_transaction
def configure_levels(session: AnySession, actor: Member,
                     levels: Sequence[tuple[str, Sequence[int]]], now: dt.datetime) -> None:
    """The county admin sets the levels (in order) and who reviews at each. Commits."""
    _require_setup(actor)
    begin_write(session)
    wanted = [member for _, members in levels for member in members]
    active = set(session.scalars(select(Member.id).where(
        Member.id.in_(wanted), Member.status == "active"))) if wanted else set()
    # Locked like an approval locks its article: no article moves on to a level
    # this removes while it is being removed.
    waiting = set(session.scalars(select(NewsArticle.level).where(
        NewsArticle.state == "in_review").with_for_update()))
    clean = rules.check_level_config([(name, list(members)) for name, members in levels],
                                     active_members=active, waiting_levels=waiting)
    before = levels_config(session)
    session.execute(delete(LevelReviewer))
    existing = {level.position: level for level in session.scalars(select(ReviewLevel))}
    for position, level in existing.items():
        if position > len(clean):
            session.delete(level)
    session.flush()
    for position, (name, members) in enumerate(clean, start=1):
        level = existing.get(position)
        if level is None:
            level = ReviewLevel(position=position, name=name)
            session.add(level)
        level.name = name
        session.flush()
        session.add_all(LevelReviewer(level_id=level.id, member_id=member) for member in members)
    record(session, "news_config", actor=actor, target_label="审核级别",
           before={"levels": [[name, ids] for name, ids in before]},
           after={"levels": [[name, list(ids)] for name, ids in clean]},
           detail="、".join(name for name, _ in clean), at=now)
    session.commit()


@_transaction
def set_sensitive_words(session: AnySession, actor: Member,
                        words: Sequence[tuple[str, str | None]], now: dt.datetime) -> int:
    """Replace the 错敏词 list; the number kept. Commits."""
    _require_setup(actor)
    clean = rules.check_words(list(words))
    begin_write(session)
    before = session.scalar(select(func.count()).select_from(SensitiveWord)) or 0
    session.execute(delete(SensitiveWord))
    session.add_all(SensitiveWord(word=word, suggestion=suggestion) for word, suggestion in clean)
    record(session, "news_config", actor=actor, target_label="错敏词",
           before={"words": before}, after={"words": len(clean)},
           detail=f"错敏词表改为{len(clean)}个词", at=now)
    session.commit()
    return len(clean)


def stale_days(session: AnySession) -> dict[str, int]:
    setting = session.get(NewsroomSetting, "stale_days")
    value = setting.value if setting is not None and isinstance(setting.value, dict) else {}
    return {**rules.STALE_DEFAULTS, **{key: int(days) for key, days in value.items()
                                       if key in rules.STALE_DEFAULTS}}


@_transaction
def set_stale_days(session: AnySession, actor: Member, *, news: int, policy: int,
                   now: dt.datetime) -> None:
    """The freshness thresholds, in days. Commits."""
    _require_setup(actor)
    value = rules.check_stale_days(news, policy)
    begin_write(session)
    before = stale_days(session)
    setting = session.get(NewsroomSetting, "stale_days")
    if setting is None:
        session.add(NewsroomSetting(key="stale_days", value=value))
    else:
        setting.value = value
    record(session, "news_config", actor=actor, target_label="更新时限", before=before,
           after=value, detail=f"新闻动态{news}天，政策解读{policy}天", at=now)
    session.commit()


def freshness(session: AnySession, today: dt.date
              ) -> tuple[dict[str, dt.date | None], list[str]]:
    """Each section's last publication on the site (the app's synced articles, hand-
    written ones included) and the warnings of ``rules.freshness_warnings``."""
    last: dict[str, dt.date | None] = dict.fromkeys(SECTIONS)
    for section, published in session.execute(
            select(Article.section, func.max(Article.published))
            .where(Article.published <= today, Article.in_manifest.is_(True))
            .group_by(Article.section)):
        last[section] = published
    scheduled: dict[str, dt.date | None] = {
        section: date for section, date in session.execute(
            select(NewsArticle.section, func.min(NewsArticle.publish_on))
            .where(NewsArticle.state == "scheduled", NewsArticle.publish_on >= today)
            .group_by(NewsArticle.section))}
    warnings = rules.freshness_warnings(last, today, stale_days(session), scheduled=scheduled)
    return {key: last[key] for key in SECTIONS}, warnings
