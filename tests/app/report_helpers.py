"""Participation-report test data: the reading date, and writers for credits, tests, attempts.

The ``county`` fixture (tests/app/conftest.py) is built with these; its
2026-H2 figures are computed by hand in test_reports.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from learning_app.credits.ledger import award
from learning_app.extensions import db
from learning_app.models import Attempt, Member, QuizTest

if TYPE_CHECKING:  # tests.app.conftest imports this module
    from tests.app.conftest import Tree

AFTER = dt.date(2027, 1, 10)  # every 2026 period has ended


def credit(member: Member, org: str, tree: Tree, day: str, hours: str, key: str) -> None:
    award(db.session, member_id=member.id, org_id=tree[org].id, source_type="training",
          source_key=key, hours=Decimal(hours),
          earned_at=dt.datetime.fromisoformat(day + "T02:00:00"))
    db.session.commit()


def add_test(test_id: str, opens: str, audience: object = "all") -> None:
    db.session.add(QuizTest(id=test_id, title=test_id, definition={
        "id": test_id, "opens": opens, "closes": None, "practice": False,
        "audience": audience}))
    db.session.commit()


def took(member: Member, test_id: str, passed: bool, day: str) -> None:
    moment = dt.datetime.fromisoformat(day + "T03:00:00")
    db.session.add(Attempt(test_id=test_id, member_id=member.id, number=1, seed=1,
                           started_at=moment, deadline_at=None, status="submitted",
                           submitted_at=moment, score=Decimal(80 if passed else 40),
                           max_score=Decimal(100), passed=passed, graded_at=moment))
    db.session.commit()
