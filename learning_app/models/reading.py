"""Server-side reading accounting state (contract 3)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import BigId


class ReadingClock(db.Model):
    """The member's last accepted heartbeat, across all tabs and articles.

    Crediting against one clock per member means two tabs read at once
    earn no more than one; locking its row serialises a member's heartbeats.
    """

    __tablename__ = "reading_clocks"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    last_beat_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class ReadingView(db.Model):
    """One page view (the tracker's view_id): replays and stale seqs are ignored."""

    __tablename__ = "reading_views"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    view_id: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id"))
    last_seq: Mapped[int] = mapped_column(default=0)
    last_beat_ms: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (UniqueConstraint("member_id", "view_id"),)


class ReadingProgress(db.Model):
    """Accumulated active reading time of one member on one article."""

    __tablename__ = "reading_progress"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    active_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    first_beat_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    credited: Mapped[bool] = mapped_column(default=False)
