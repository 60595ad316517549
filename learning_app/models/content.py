"""Articles of the site, as imported from the learning manifest (contract 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from learning_app.extensions import db
from learning_app.models.types import utcnow


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(20))
    issue: Mapped[str | None] = mapped_column(String(7))
    category: Mapped[str | None] = mapped_column(String(20))
    published: Mapped[dt.date] = mapped_column(Date, index=True)
    chars: Mapped[int] = mapped_column(default=0)
    required_seconds: Mapped[int]
    credit_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # False once the article left the site; its earned credits stay.
    in_manifest: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
