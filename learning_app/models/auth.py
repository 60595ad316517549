"""Sign-in state kept on the server: sessions, throttling counters, activation codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import utcnow


class SignIn(db.Model):
    """One signed-in browser. The session and the remember-me cookie both name
    it; signing out ends it here, so a copied cookie stops working."""

    __tablename__ = "member_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, URL-safe
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class ThrottleCounter(db.Model):
    """Failed sign-ins per account or per address, shared by every worker."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "account:17", "address:…"
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ActivationCode(db.Model):
    """A one-time code that lets a member set their first password (开通通知单).

    Random, stored hashed, expiring, usable once; issuing a new one revokes
    the member's older ones."""

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
