"""Demo members: names, categories, exemptions, memberships and a few transfers."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from learning_app.admin.memberships import transfer
from learning_app.demo.accounts import DEMO_ACCOUNTS
from learning_app.demo.names import EXEMPT_REGULAR_SHARE, person_name, phone_numbers
from learning_app.demo.tree import DemoTree, Org
from learning_app.models import Member, Membership, Organization

# Members per branch by kind: (fewest, most).
BRANCH_SIZES: dict[str, tuple[int, int]] = {
    "village": (10, 22), "community": (25, 35), "department": (15, 40),
}
TRANSFERS = 8
TRANSFER_NOTES = ("外出务工，组织关系转入务工地附近村党支部", "婚迁，组织关系随迁",
                  "工作调动，组织关系转接")


@dataclass
class Stint:
    """One membership: the person belonged to ``org_id`` from ``start`` to ``end``."""

    org_id: int
    start: dt.date
    end: dt.date | None = None


@dataclass
class Person:
    code: str
    name: str
    org: Org
    category: str
    joined: dt.date
    regular: bool  # studies most months; the others rarely show up
    exempt_reason: str | None = None
    demo: str | None = None  # the demo account's code
    role: str = "member"
    scope_org_id: int | None = None
    password_hash: str | None = None
    phone: str = ""
    id: int = 0
    stints: list[Stint] = field(default_factory=list)

    def org_on(self, day: dt.date) -> int | None:
        """The organization the person belonged to on ``day`` (组织关系)."""
        for stint in self.stints:
            if stint.start <= day and (stint.end is None or day <= stint.end):
                return stint.org_id
        return None

    def row(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "phone": self.phone,
            "category": self.category, "exempt": self.exempt_reason is not None,
            "exempt_reason": self.exempt_reason, "status": "active", "org_id": self.org.id,
            "role": self.role, "scope_org_id": self.scope_org_id,
            "password_hash": self.password_hash,
            # Generated members are not yet activated (no password): try the
            # 开通通知单 as demo-secretary. The demo accounts have the demo password.
            "must_change_password": self.password_hash is None,
        }


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _branch_person(rng: random.Random, org: Org, index: int) -> Person:
    if index == 0 or (index <= 2 and rng.random() < 0.3):
        category = "secretary"  # the secretary, and sometimes other 班子成员
    elif rng.random() < 0.055:
        category = "activist"
    else:
        category = "member"
    if category == "secretary":
        joined = _day_between(rng, dt.date(1990, 1, 1), dt.date(2020, 12, 31))
    elif category == "activist":  # on the roll since becoming an activist
        joined = _day_between(rng, dt.date(2024, 7, 1), dt.date(2026, 6, 30))
    else:
        joined = _day_between(rng, dt.date(1965, 1, 1), dt.date(2025, 12, 31))
    reason = None
    if category == "member":
        if joined < dt.date(1985, 1, 1) and rng.random() < 0.08:
            reason = "年老体弱"
        elif org.kind == "village" and rng.random() < 0.025:
            reason = "长期外出务工"
    share = EXEMPT_REGULAR_SHARE if reason else org.regular_share
    # Branch secretaries lead the study, so they always take part.
    regular = category == "secretary" or rng.random() < share
    return Person(code="", name=person_name(rng, rng.random() < 0.3), org=org,
                  category=category, joined=joined, regular=regular, exempt_reason=reason)


def make_people(rng: random.Random, tree: DemoTree,
                hash_password: Callable[[str], str], password: str) -> list[Person]:
    people: list[Person] = []
    for org in tree.grassroots:
        low, high = BRANCH_SIZES[org.kind]
        people += [_branch_person(rng, org, i) for i in range(rng.randint(low, high))]
    for number, person in enumerate(people, start=1):
        person.code = f"QC{number:06d}"
    for account in DEMO_ACCOUNTS:
        scope = tree.by_code(account.scope_code).id if account.scope_code else None
        people.append(Person(
            code=account.code, name=account.name, org=tree.by_code(account.org_code),
            category=account.category, joined=dt.date(2008, 7, 1), regular=True,
            demo=account.code, role=account.role, scope_org_id=scope,
            password_hash=hash_password(password)))
    for person, phone in zip(people, phone_numbers(rng, len(people)), strict=True):
        person.phone = phone
    return people


def insert_people(session: Session, people: list[Person]) -> None:
    """Bulk insert the members and open each one's membership on the join date.

    The bulk form of memberships.open_membership: row-by-row ORM adds of
    3,000 members would be most of the load time.
    """
    ids = session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                          [person.row() for person in people]).all()
    for person, member_id in zip(people, ids, strict=True):
        person.id = member_id
        person.stints = [Stint(person.org.id, person.joined)]
    session.execute(insert(Membership), [
        {"member_id": p.id, "org_id": p.org.id, "started_on": p.joined, "ended_on": None,
         "note": None} for p in people])


def apply_transfers(session: Session, rng: random.Random, tree: DemoTree,
                    people: list[Person], last_day: dt.date) -> list[Person]:
    """A few 组织关系转接 during 2026, through the real transfer function."""
    candidates = [p for p in people if p.demo is None and p.category == "member"
                  and p.exempt_reason is None and p.org.kind == "village"]
    villages = [org for org in tree.branches if org.kind == "village"]
    moved = rng.sample(candidates, TRANSFERS)
    for person in moved:
        target = rng.choice([org for org in villages if org.id != person.org.id])
        on = _day_between(rng, dt.date(2026, 3, 1), max(last_day, dt.date(2026, 3, 1)))
        member = session.get_one(Member, person.id)
        transfer(session, member, session.get_one(Organization, target.id), on,
                 rng.choice(TRANSFER_NOTES))
        person.stints[-1].end = on - dt.timedelta(days=1)
        person.stints.append(Stint(target.id, on))
        person.org = target
    session.flush()
    return moved
