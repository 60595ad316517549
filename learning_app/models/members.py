"""Party members, their sign-in identity, and their membership history."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning_app.auth.roles import Role, role_of
from learning_app.extensions import db
from learning_app.models.orgs import Organization
from learning_app.models.types import utcnow

CATEGORIES: dict[str, str] = {
    "member": "普通党员",
    "secretary": "支部书记及班子成员",
    "activist": "入党积极分子",
}
STATUSES: dict[str, str] = {"active": "在册", "transferred": "转出", "deceased": "去世"}


class Member(UserMixin, db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    category: Mapped[str] = mapped_column(String(20), default="member")
    exempt: Mapped[bool] = mapped_column(default=False)
    exempt_reason: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    scope_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    # Bumped on a password change: sessions signed in before it end.
    auth_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organization | None] = relationship(foreign_keys=[org_id])
    scope_org: Mapped[Organization | None] = relationship(foreign_keys=[scope_org_id])

    def get_id(self) -> str:
        # "member:auth_version:sign-in": the sign-in row (auth/sessions.py) is set
        # on the member, transiently, when signing in or loading; without one
        # the id names no sign-in and loads nobody.
        return f"{self.id}:{self.auth_version}:{getattr(self, 'sign_in_id', '')}"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def role_def(self) -> Role:
        return role_of(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role_def.admin

    @property
    def is_editor(self) -> bool:
        return self.role_def.editor

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def role_label(self) -> str:
        return self.role_def.label

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class Membership(db.Model):
    """Which organization a member belonged to, and when (组织关系)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)  # last day; None while current
    note: Mapped[str | None] = mapped_column(String(200))

    org: Mapped[Organization] = relationship()

    __table_args__ = (Index("ix_memberships_member_id_started_on", "member_id", "started_on"),)
