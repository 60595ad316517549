"""Autosave: an editor's typing kept between saves, so that a reload, a closed tab
or a lost connection never loses it.

A buffer is not a revision. Revisions are the record reviewers approve and the
trail names, so one is made only when the person presses 保存; the buffer is
one row per (article, member), overwritten by each autosave (a few seconds
after typing stops, and when the page is hidden) and deleted when that person
saves a revision. The browser keeps a copy in localStorage too, for the time the
server can't be reached (static/newsroom/editor.js).

``check`` is the plain rule for what a buffer may hold; ``store`` refuses anyone
who may not write the article now (``rules.check_write``: the same answer a save
would get), so a buffer never holds typing its author couldn't save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, scoped_session

from learning_app.db import begin_write, dialect_insert, rollback_on_error
from learning_app.errors import Refused
from learning_app.models import Member, NewsArticle, NewsAutosave, NewsRevision
from learning_app.newsroom import rules, service
from learning_app.newsroom.draft_form import as_text

AnySession = Session | scoped_session[Session]

# A long policy text is 30,000 characters; ten times that is still an article,
# and what a worker parses per keystroke pause stays small.
MAX_BODY_CHARS = 300_000
MAX_FIELD_CHARS = 2_000  # a front-matter value (the longest, a summary, allows 300)
MAX_TAGS = 50
# The request as a whole (JSON of the above; CJK text is 3 bytes a character).
MAX_REQUEST_BYTES = 2 * 1024 * 1024
FORM_ORDER = ("title", "date", "category", "department", "tags", "summary", "credit")
FIELDS = frozenset(FORM_ORDER)
TOO_LARGE = (f"正文超过{MAX_BODY_CHARS // 10_000}万字，无法自动保存。"
             "请把文章拆分成几篇，或删去多余的内容。")


@dataclass(frozen=True)
class Buffer:
    """A stored buffer as the editor page needs it."""

    base_revision_id: int
    front_matter: dict[str, Any]
    body: str
    saved_at: dt.datetime


def check(front_matter: Any, body: Any) -> tuple[dict[str, Any], str]:
    """The buffer's front matter (the form's fields, as typed) and body, or Refused.

    Values are what the form holds, not yet valid contract-1 values (a half-typed
    date is kept as typed); only their shape and size are checked here."""
    if not isinstance(body, str) or not isinstance(front_matter, dict):
        raise Refused(400, "自动保存的内容格式不正确")
    if len(body) > MAX_BODY_CHARS:
        raise Refused(413, TOO_LARGE)
    clean: dict[str, Any] = {}
    for key, value in front_matter.items():
        if key not in FIELDS:
            continue  # an older page's field: ignored, never stored
        if key == "tags" and isinstance(value, list):
            if len(value) > MAX_TAGS or not all(isinstance(tag, str) for tag in value):
                raise Refused(400, "标签的格式不正确")
            value = [tag[:MAX_FIELD_CHARS] for tag in value]
        elif not isinstance(value, str):
            raise Refused(400, "自动保存的内容格式不正确")
        elif len(value) > MAX_FIELD_CHARS:
            raise Refused(413, "有一栏的文字太长，无法自动保存")
        clean[key] = value
    return clean, body


def _may_write(session: AnySession, article: NewsArticle, member: Member) -> None:
    rules.check_write(service.situation(session, article), service.actor_of(session, member))


def store(session: AnySession, article_id: int, member: Member, *, base_revision_id: int,
          front_matter: Any, body: Any, now: dt.datetime) -> NewsRevision:
    """Upsert the member's buffer for the article; the article's current revision
    (a later one than ``base_revision_id`` means someone saved meanwhile: the
    buffer is kept all the same, and the editor is told). Commits."""
    fields, text = check(front_matter, body)
    with rollback_on_error(session):
        begin_write(session)
        article = session.get(NewsArticle, article_id)
        if article is None:
            raise Refused(404, "没有找到这篇稿件")
        _may_write(session, article, member)
        base = session.get(NewsRevision, base_revision_id)
        if base is None or base.article_id != article.id:
            raise Refused(400, "自动保存的版本不属于这篇稿件，请刷新页面")
        values = {"base_revision_id": base.id, "front_matter": fields, "body": text,
                  "saved_at": now}
        insert = dialect_insert(session, NewsAutosave.__table__).values(
            article_id=article.id, member_id=member.id, **values)
        session.execute(insert.on_conflict_do_update(
            index_elements=["article_id", "member_id"], set_=values))
        current = session.get(NewsRevision, article.current_revision_id)
        session.commit()
    assert current is not None
    return current


def load(session: AnySession, article_id: int, member_id: int) -> Buffer | None:
    row = session.scalar(select(NewsAutosave).where(NewsAutosave.article_id == article_id,
                                                    NewsAutosave.member_id == member_id))
    if row is None:
        return None
    return Buffer(row.base_revision_id, dict(row.front_matter), row.body, row.saved_at)


def clear(session: AnySession, article_id: int, member_id: int) -> None:
    """Forget the member's buffer (after they saved a revision, or chose to discard
    it). Commits."""
    with rollback_on_error(session):
        session.execute(delete(NewsAutosave).where(NewsAutosave.article_id == article_id,
                                                   NewsAutosave.member_id == member_id))
        session.commit()


def fingerprint(values: Mapping[str, Any]) -> str:
    """A short hash of form values (the fields, then the body), the same as
    editor.js computes for its copy on the device: 32-bit FNV-1a over UTF-16 code
    units, so the page can tell whether that copy is the buffer it offers."""
    text = "\x1f".join(as_text(values.get(key)) for key in FORM_ORDER)
    text += "\x1e" + str(values.get("body") or "")
    data = text.encode("utf-16-le")
    value = 0x811C9DC5
    for index in range(0, len(data), 2):
        value ^= data[index] | data[index + 1] << 8
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def differs(buffer: Buffer | None, values: Mapping[str, str]) -> bool:
    """Whether the buffer holds typing other than the form's ``values`` (worth
    offering back)."""
    if buffer is None:
        return False
    return buffer.body != values.get("body", "") or any(
        as_text(buffer.front_matter.get(key)) != values.get(key, "") for key in FIELDS)
