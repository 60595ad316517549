"""Load the demo county once: tree, members, accounts and a few months of history."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learning_app.auth.passwords import hash_password
from learning_app.db import rollback_on_error
from learning_app.demo.accounts import DEMO_PASSWORD
from learning_app.demo.exams import take_demo_exam
from learning_app.demo.history import HistoryBuilder
from learning_app.demo.newsroom import load_newsroom
from learning_app.demo.people import apply_transfers, insert_people, make_people
from learning_app.demo.tree import ROOT_CODE, build_tree
from learning_app.models import Article, Member, Organization
from learning_app.models.types import local_today

SEED = 20261126  # fixed: every load builds the same county
HISTORY_LAST_DAY = dt.date(2026, 11, 30)


class DemoError(Exception):
    pass


class AlreadyLoaded(DemoError):
    """Nothing to do: the demo (or real data) is there already."""


@dataclass(frozen=True)
class LoadResult:
    townships: int
    villages: int
    communities: int
    departments: int
    members: int
    exempt: int
    transfers: int
    readings: int
    trainings: int
    attendances: int
    ledger_rows: int
    exam_attempts: int
    exam_passed: int
    scheduled_on: dt.date | None = None  # the demo newsroom's scheduled article


def existing_data(session: Session) -> str | None:
    """Why not to load: the demo is there already, or real data is."""
    root = session.scalar(select(Organization).where(Organization.code == ROOT_CODE))
    if root is not None:
        return (f"已有组织 {root.code} {root.name}：演示数据已加载过（或已导入真实数据），"
                "未做任何改动。")
    if session.scalar(select(func.count()).select_from(Organization)) or session.scalar(
            select(func.count()).select_from(Member)):
        return "数据库里已有组织或党员数据，不加载演示数据，未做任何改动。"
    return None


def load_demo(session: Session, *, today: dt.date | None = None, seed: int = SEED,
              content_dir: Path | None = None) -> LoadResult:
    """Build the demo in one transaction: a failure leaves nothing behind (the
    newsroom's scheduled article, written into ``content_dir``, is removed again)."""
    reason = existing_data(session)
    if reason:
        raise AlreadyLoaded(reason)
    articles = list(session.scalars(select(Article).where(Article.in_manifest.is_(True))
                                    .order_by(Article.published, Article.id)))
    if not articles:
        raise DemoError("文章表是空的：请先运行 flask --app learning_app sync-content "
                        "site/learning-manifest.json（先 make site 生成网站）")
    # History ends yesterday at the latest, so no credit is dated in the future.
    last_day = min(HISTORY_LAST_DAY, (today or local_today()) - dt.timedelta(days=1))
    rng = random.Random(seed)
    with rollback_on_error(session):
        tree = build_tree(session, rng)
        people = make_people(rng, tree, hash_password, DEMO_PASSWORD)
        insert_people(session, people)
        moved = apply_transfers(session, rng, tree, people, last_day)
        history = HistoryBuilder(session, rng, tree, people,
                                 [a for a in articles if a.published <= last_day],
                                 last_day).build()
        exams = take_demo_exam(session, rng, people, last_day)
        day, written = load_newsroom(session, {p.demo: p.id for p in people if p.demo},
                                     today or local_today(), content_dir)
        try:
            session.commit()
        except BaseException:
            if written is not None:
                written.unlink(missing_ok=True)
            raise
    return LoadResult(
        townships=len(tree.townships),
        villages=sum(1 for b in tree.branches if b.kind == "village"),
        communities=sum(1 for b in tree.branches if b.kind == "community"),
        departments=len(tree.departments), members=len(people),
        exempt=sum(1 for p in people if p.exempt_reason), transfers=len(moved),
        readings=history.readings, trainings=history.trainings,
        attendances=history.attendances,
        ledger_rows=history.ledger_rows + exams.passed, exam_attempts=exams.attempts,
        exam_passed=exams.passed, scheduled_on=day)
