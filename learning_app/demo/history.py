"""A few months of study (2026-09 to 2026-11): column reading and offline training.

Readings and most training attendance are written in bulk, with the same
INSERT … ON CONFLICT DO NOTHING statement that ``ledger.award`` uses: one
statement per row would make the load take minutes on PostgreSQL.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from learning_app.credits.sources import source_key
from learning_app.db import dialect_insert
from learning_app.demo.people import Person
from learning_app.demo.tree import DemoTree, Org
from learning_app.models import (
    Article,
    CreditEntry,
    Member,
    ReadingProgress,
    Training,
    TrainingAttendance,
)
from learning_app.models.types import TZ
from learning_app.trainings.service import record_attendance

HISTORY_MONTHS = ((2026, 9), (2026, 10), (2026, 11))
PARTY_DAY_TOPICS = {
    9: "学习《青川县“党建促扶贫”实施方案》",
    10: "重温入党誓词，讲好身边的脱贫故事",
    11: "学习贫困户退出“两不愁三保障”标准",
}
ROTATION_DAY = dt.date(2026, 10, 13)
ROTATION_TITLE = "2026年基层党组织书记“党建促扶贫”集中轮训班"
DEMO_MEMBER_READS_PER_MONTH = 2  # leaves most articles unread for the demo


@dataclass(frozen=True)
class Month:
    start: dt.date
    end: dt.date  # the month's last day, or the history's last day


@dataclass
class HistoryResult:
    readings: int = 0
    trainings: int = 0
    attendances: int = 0
    ledger_rows: int = 0


def months_until(last_day: dt.date) -> list[Month]:
    months = []
    for year, month in HISTORY_MONTHS:
        start = dt.date(year, month, 1)
        if start <= last_day:
            end = dt.date(year, month, calendar.monthrange(year, month)[1])
            months.append(Month(start, min(end, last_day)))
    return months


def local_moment(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """Naive UTC of a Beijing-time moment, as the ledger stores it."""
    return dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.UTC).replace(
        tzinfo=None)


def award_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """``ledger.award`` for many rows at once: one executemany of the same upsert."""
    if rows:
        session.execute(dialect_insert(session, CreditEntry.__table__).on_conflict_do_nothing(
            index_elements=["member_id", "source_key"]), rows)
    return len(rows)


def _ledger_row(member_id: int, org_id: int, source_type: str, source_key: str,
                hours: Decimal, earned_at: dt.datetime, earned_on: dt.date,
                recorded_by: int | None, note: str | None) -> dict[str, Any]:
    return {"member_id": member_id, "org_id": org_id, "source_type": source_type,
            "source_key": source_key, "hours": hours, "earned_at": earned_at,
            "earned_on": earned_on, "recorded_by": recorded_by, "note": note}


class HistoryBuilder:
    def __init__(self, session: Session, rng: random.Random, tree: DemoTree,
                 people: list[Person], articles: list[Article], last_day: dt.date) -> None:
        self.session, self.rng, self.tree, self.people = session, rng, tree, people
        self.articles = articles
        self.months = months_until(last_day)
        self.admin_id = next(p.id for p in people if p.role == "county_admin")
        self.result = HistoryResult()
        # Engagement per person and month: regulars nearly always take part,
        # the others rarely, so participation differs by township.
        self.engaged: dict[int, list[bool]] = {}
        for person in people:
            chance = 0.95 if person.regular else 0.05
            self.engaged[person.id] = [
                person.demo is not None or rng.random() < chance for _ in self.months]
        self.by_org: dict[int, list[Person]] = defaultdict(list)
        for person in people:
            for org_id in dict.fromkeys(stint.org_id for stint in person.stints):
                self.by_org[org_id].append(person)

    def build(self) -> HistoryResult:
        self.readings()
        self.rotation()
        self.party_days()
        self.party_lectures()
        return self.result

    # -- reading -----------------------------------------------------------------

    def readings(self) -> None:
        progress: list[dict[str, Any]] = []
        ledger: list[dict[str, Any]] = []
        for person in self.people:
            read: set[str] = set()
            for index, month in enumerate(self.months):
                if not self.engaged[person.id][index]:
                    continue
                if person.demo == "demo-member":
                    count = DEMO_MEMBER_READS_PER_MONTH
                elif self.rng.random() < 0.85:
                    count = self.rng.randint(1, 6)
                else:
                    continue
                for article in self._pick(month, read, count):
                    entry = self._reading(person, article, month)
                    if entry is not None:
                        read.add(article.id)
                        progress.append(entry[0])
                        ledger.append(entry[1])
            if person.demo == "demo-member":
                progress += self._in_progress(person, read)
        if progress:
            self.session.execute(insert(ReadingProgress), progress)
        self.result.readings = len(ledger)
        self.result.ledger_rows += award_many(self.session, ledger)

    def _pick(self, month: Month, read: set[str], count: int) -> list[Article]:
        """This month's issue first (what the branch studies), then older pieces."""
        issue = f"{month.start:%Y-%m}"
        open_ = [a for a in self.articles if a.published <= month.end and a.id not in read]
        current = [a for a in open_ if a.issue == issue]
        older = [a for a in open_ if a.issue != issue]
        self.rng.shuffle(current)
        self.rng.shuffle(older)
        return (current + older)[:count]

    def _reading(self, person: Person, article: Article, month: Month
                 ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        first = max(article.published, month.start)
        if first > month.end:
            return None
        day = first + dt.timedelta(days=self.rng.randint(0, (month.end - first).days))
        org_id = person.org_on(day)
        if org_id is None:
            return None
        earned_at = local_moment(day, self.rng.randint(7, 21), self.rng.randint(0, 59))
        active_ms = 1000 * article.required_seconds + self.rng.randint(0, 120_000)
        started_ms = int(earned_at.replace(tzinfo=dt.UTC).timestamp() * 1000) - active_ms
        return ({"member_id": person.id, "article_id": article.id, "active_ms": active_ms,
                 "first_beat_ms": started_ms, "credited": True},
                _ledger_row(person.id, org_id, "reading", source_key("reading", article.id),
                            article.credit_hours, earned_at, day, None, None))

    def _in_progress(self, person: Person, read: set[str]) -> list[dict[str, Any]]:
        """One article half read, so 我的学习 shows 正在读.

        Not the newest unread column article: 接下来读 suggests that one.
        """
        unread = sorted((a for a in self.articles if a.id not in read),
                        key=lambda a: (a.section == "column", a.published, a.id), reverse=True)
        if not unread or not self.months:
            return []
        article = unread[min(1, len(unread) - 1)]
        moment = local_moment(self.months[-1].end, 20, 30)
        return [{"member_id": person.id, "article_id": article.id,
                 "active_ms": 500 * article.required_seconds,
                 "first_beat_ms": int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000),
                 "credited": False}]

    # -- training ----------------------------------------------------------------

    def _attends(self, person: Person, month_index: int, chance: float) -> bool:
        if person.demo is not None:
            return self.engaged[person.id][month_index]
        return self.engaged[person.id][month_index] and self.rng.random() < chance

    def _month_index(self, day: dt.date) -> int | None:
        for index, month in enumerate(self.months):
            if month.start <= day <= month.end:
                return index
        return None

    def _training(self, title: str, kind: str, day: dt.date, hours: int, org: Org,
                  organizer: str, created_by: int) -> Training:
        training = Training(title=title, kind=kind, held_on=day, hours=Decimal(hours),
                            organizer=organizer, org_id=org.id, created_by=created_by)
        self.session.add(training)
        return training

    def _record_bulk(self, attendance: list[tuple[Training, list[Person]]]) -> None:
        """The bulk form of trainings.record_attendance, for many trainings at once."""
        self.session.flush()  # the trainings' ids
        rows: list[dict[str, Any]] = []
        ledger: list[dict[str, Any]] = []
        for training, people in attendance:
            earned_at = local_moment(training.held_on, 12, 0)
            for person in people:
                org_id = person.org_on(training.held_on)
                if org_id is None:
                    continue
                rows.append({"training_id": training.id, "member_id": person.id})
                ledger.append(_ledger_row(
                    person.id, org_id, "training", source_key("training", training.id),
                    training.hours, earned_at, training.held_on, training.created_by,
                    training.title[:200]))
        if rows:
            self.session.execute(insert(TrainingAttendance), rows)
        self.result.trainings += len(attendance)
        self.result.attendances += len(rows)
        self.result.ledger_rows += award_many(self.session, ledger)

    def rotation(self) -> None:
        """The county's 集中轮训 for secretaries (8 学时), recorded as an admin would."""
        index = self._month_index(ROTATION_DAY)
        if index is None:
            return
        ids = [p.id for p in self.people if p.category == "secretary"
               and p.org_on(ROTATION_DAY) is not None
               and (p.demo is not None or self.rng.random() < 0.93)]
        training = self._training(ROTATION_TITLE, "rotation", ROTATION_DAY, 8, self.tree.root,
                                  "县委组织部", self.admin_id)
        self.session.flush()
        members = self.session.scalars(select(Member).where(Member.id.in_(ids))
                                       .order_by(Member.id)).all()
        added, _ = record_attendance(self.session, training, members, self.admin_id)
        self.result.trainings += 1
        self.result.attendances += added
        self.result.ledger_rows += added

    def party_days(self) -> None:
        """主题党日 every month in every branch (1 学时)."""
        attendance: list[tuple[Training, list[Person]]] = []
        for org in self.tree.grassroots:
            day_of_month = self.rng.randint(3, 12)  # each branch keeps its own fixed day
            members = self.by_org[org.id]
            secretary = next((p.id for p in members if p.category == "secretary"), self.admin_id)
            for index, month in enumerate(self.months):
                day = month.start.replace(day=day_of_month)
                if day > month.end:
                    continue
                title = f"{day.month}月主题党日：{PARTY_DAY_TOPICS[day.month]}"
                training = self._training(title, "party_day", day, 1, org, org.name, secretary)
                attendance.append((training, [p for p in members if p.org_on(day) == org.id
                                              and self._attends(p, index, 0.95)]))
        self._record_bulk(attendance)

    def party_lectures(self) -> None:
        """One 党课 per township (2 学时) by the township's Party secretary."""
        attendance: list[tuple[Training, list[Person]]] = []
        for township in self.tree.townships:
            day = dt.date(2026, self.rng.choice((10, 11)), self.rng.randint(10, 25))
            if self._month_index(day) is None:
                day = day.replace(month=10)
            index = self._month_index(day)
            if index is None:
                continue
            orgs = {township.id} | {b.id for b in self.tree.branches
                                    if b.township_code == township.code}
            people = [p for org_id in sorted(orgs) for p in self.by_org[org_id]
                      if p.org_on(day) == org_id and self._attends(p, index, 0.9)]
            recorder = next((p.id for p in self.by_org[township.id] if p.role == "org_admin"),
                            self.admin_id)
            title = f"{township.name}书记讲党课：以党建引领巩固拓展脱贫攻坚成果"
            attendance.append((self._training(title, "party_lecture", day, 2, township,
                                              township.name, recorder), people))
        self._record_bulk(attendance)
