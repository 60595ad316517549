"""A member's learning year: hours by source against the target."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_app.credits.rules import DEFAULT_ANNUAL_HOURS, progress_ratio
from learning_app.credits.sources import ref_column, source_ref
from learning_app.models import (
    Article,
    CreditEntry,
    CreditTarget,
    Member,
    ReadingProgress,
    Training,
)
from learning_app.models.ledger import SOURCE_TYPES
from learning_app.models.types import local_today


@dataclass
class Summary:
    year: int
    target: Decimal
    total: Decimal
    by_source: dict[str, Decimal]
    readings: list[tuple[CreditEntry, Article | None]]
    in_progress: list[tuple[ReadingProgress, Article]]
    trainings: list[tuple[CreditEntry, Training | None]]
    tests: list[CreditEntry]
    next_article: Article | None
    ratio: float = field(default=0.0)

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.target - self.total)


def annual_target(session: Session, category: str) -> Decimal:
    target = session.get(CreditTarget, category)
    return Decimal(target.annual_hours) if target else DEFAULT_ANNUAL_HOURS


def summary(session: Session, member: Member, year: int) -> Summary:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    entries = list(session.scalars(
        select(CreditEntry).where(CreditEntry.member_id == member.id,
                                  CreditEntry.earned_on.between(start, end))
        .order_by(CreditEntry.earned_at.desc())))
    by_source = {key: Decimal(0) for key in SOURCE_TYPES}
    for entry in entries:
        by_source[entry.source_type] = by_source.get(entry.source_type, Decimal(0)) + entry.hours
    total = sum(by_source.values(), Decimal(0))
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(
        [source_ref(e.source_key) for e in entries if e.source_type == "reading"])))}
    trainings = {t.id: t for t in session.scalars(select(Training).where(Training.id.in_(
        [int(source_ref(e.source_key)) for e in entries if e.source_type == "training"])))}
    in_progress = list(session.execute(
        select(ReadingProgress, Article).join(Article)
        .where(ReadingProgress.member_id == member.id, ReadingProgress.credited.is_(False),
               ReadingProgress.active_ms > 0)
        .order_by(ReadingProgress.first_beat_ms.desc()).limit(5)).all())
    read_ids = select(ref_column("reading")).where(
        CreditEntry.member_id == member.id, CreditEntry.source_type == "reading")
    next_article = session.scalar(
        select(Article).where(Article.in_manifest.is_(True), Article.section == "column",
                              Article.published <= local_today(), Article.id.not_in(read_ids))
        .order_by(Article.published.desc(), Article.id).limit(1))
    target = annual_target(session, member.category)
    return Summary(
        year=year, target=target, total=total, by_source=by_source,
        readings=[(e, articles.get(source_ref(e.source_key)))
                  for e in entries if e.source_type == "reading"],
        in_progress=in_progress,
        trainings=[(e, trainings.get(int(source_ref(e.source_key))))
                   for e in entries if e.source_type == "training"],
        tests=[e for e in entries if e.source_type == "test"],
        next_article=next_article, ratio=progress_ratio(total, target),
    )
