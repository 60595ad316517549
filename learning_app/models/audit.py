"""The audit log: an append-only record of security-relevant events.

Rows are only ever inserted (``audit.service.record``); the migration adds
database triggers that refuse UPDATE and DELETE, so not even a bug or a
console session rewrites history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import BigId, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # naive UTC
    action: Mapped[str] = mapped_column(String(40), index=True)  # a key of audit.actions.ACTIONS
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "姓名（编号）" as it was, or "命令行"
    target_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    target: Mapped[str | None] = mapped_column(String(200))  # whom or what, as it was
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    address: Mapped[str | None] = mapped_column(String(64))  # client address, if any
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str | None] = mapped_column(String(500))
