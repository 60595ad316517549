"""The newsroom (在线采编): web-authored articles, their revisions, the review trail,
the configured review levels, uploaded media, and site builds.

Revisions and review steps are only ever inserted: an edit is a new revision,
a decision is a new step, so the trail shows who did what to which text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import utcnow

STATES: dict[str, str] = {
    "draft": "草稿",
    "in_review": "审核中",
    "returned": "已退回修改",
    "approved": "已签发，待上线",
    "scheduled": "已签发，定时上线",
    "published": "已上线",
    "withdrawn": "已撤稿",
}
SECTIONS: dict[str, str] = {"column": "脱贫攻坚专栏", "news": "新闻动态", "policy": "政策解读"}
BUILD_STATES: dict[str, str] = {
    "queued": "排队中", "building": "构建中", "live": "已上线", "failed": "失败",
}


class NewsArticle(db.Model):
    """One article as the newsroom knows it, from first draft to withdrawal."""

    __tablename__ = "newsroom_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(80), unique=True)  # contract 1 ``id``
    section: Mapped[str] = mapped_column(String(20))  # a key of SECTIONS
    path: Mapped[str] = mapped_column(String(300))  # under content/, e.g. column/2026-12/x.md
    state: Mapped[str] = mapped_column(String(20), default="draft")
    level: Mapped[int] = mapped_column(default=0)  # the review level it waits for (1-based)
    # Revision ids without a foreign key: the two tables point at each other, and a
    # cycle of constraints would need ALTER TABLE, which SQLite can't do.
    current_revision_id: Mapped[int | None]
    published_revision_id: Mapped[int | None]
    publish_on: Mapped[dt.date | None] = mapped_column(Date)  # the article's date
    went_live_at: Mapped[dt.datetime | None]  # the real moment it was first served
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NewsRevision(db.Model):
    """One version of an article's text: front matter and Markdown body."""

    __tablename__ = "newsroom_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("newsroom_articles.id"), index=True)
    number: Mapped[int]
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))  # e.g. "复审修改", "更正"

    __table_args__ = (UniqueConstraint("article_id", "number"),)


class NewsStep(db.Model):
    """One step of the review trail: submit, approve, return, edit, publish, …"""

    __tablename__ = "newsroom_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("newsroom_articles.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("newsroom_revisions.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the runner
    action: Mapped[str] = mapped_column(String(20))
    level: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str | None] = mapped_column(Text)
    secrecy_confirmed: Mapped[bool] = mapped_column(default=False)  # 保密审查, at 终审
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReviewLevel(db.Model):
    """A review level (初审, 复审, 终审签发 by default), in order."""

    __tablename__ = "newsroom_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)  # 1, 2, 3…; the last is 终审
    name: Mapped[str] = mapped_column(String(40))


class LevelReviewer(db.Model):
    __tablename__ = "newsroom_reviewers"

    level_id: Mapped[int] = mapped_column(ForeignKey("newsroom_levels.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)


class SensitiveWord(db.Model):
    """错敏词: a word that blocks submission, kept by the county."""

    __tablename__ = "newsroom_sensitive_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(50), unique=True)
    suggestion: Mapped[str | None] = mapped_column(String(100))


class NewsMedia(db.Model):
    """An image or PDF uploaded for an article, stored beside it under content/."""

    __tablename__ = "newsroom_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("newsroom_articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "image" or "pdf"
    path: Mapped[str] = mapped_column(String(300))  # under content/
    alt: Mapped[str] = mapped_column(String(200))
    width: Mapped[int | None]
    height: Mapped[int | None]
    size: Mapped[int]  # bytes as stored
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NewsAutosave(db.Model):
    """An editor's typing not yet saved as a revision: one buffer per (article,
    member), overwritten by every autosave and cleared when they save. Never a
    revision: the trail and the reviewers don't see it (newsroom/autosave.py)."""

    __tablename__ = "newsroom_autosaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("newsroom_articles.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The revision the typing started from: a later one means someone saved meanwhile.
    base_revision_id: Mapped[int] = mapped_column(ForeignKey("newsroom_revisions.id"))
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("article_id", "member_id"),)


class SiteBuild(db.Model):
    """One site build: queued → building → live, or failed with the build's error."""

    __tablename__ = "newsroom_builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # BUILD_STATES
    reason: Mapped[str | None] = mapped_column(String(200))  # what asked for it
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    site_dir: Mapped[str | None] = mapped_column(String(300))  # the build's directory
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_newsroom_builds_status", "status"),)


class NewsroomSetting(db.Model):
    """County settings of the newsroom (freshness thresholds), by key."""

    __tablename__ = "newsroom_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
