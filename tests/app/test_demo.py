"""The demo loader behind `make run`: the county, its accounts and a consistent history.

Loading the demo takes seconds, so the tests that only read it share one load
(``TestTheLoadedDemo``); the tests of what the loader refuses start empty.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from learning_app.demo.loader import AlreadyLoaded, LoadResult, load_demo
from learning_app.demo.newsroom import load_newsroom, scheduled_day
from learning_app.extensions import db
from learning_app.models import (
    Article,
    Attempt,
    CreditEntry,
    Member,
    Membership,
    NewsArticle,
    Organization,
    QuestionVersion,
    ReadingProgress,
    Training,
)
from learning_app.newsroom import service
from learning_app.quiz.attempts import score_attempt
from learning_app.quiz.loader import load_quizzes
from learning_app.quiz.store import store
from site_builder.drafts import check_draft
from tests.app.conftest import empty_database, login

TODAY = dt.date(2026, 11, 26)
# (id, section, issue, published): a small stand-in for the site's manifest.
ARTICLES = [
    ("county-plan", "policy", None, "2026-08-20"),
    ("col-09-a", "column", "2026-09", "2026-09-03"),
    ("col-09-b", "column", "2026-09", "2026-09-18"),
    ("col-10-a", "column", "2026-10", "2026-10-08"),
    ("col-10-b", "column", "2026-10", "2026-10-22"),
    ("news-10", "news", None, "2026-10-15"),
    ("col-11-a", "column", "2026-11", "2026-11-03"),
    ("col-11-b", "column", "2026-11", "2026-11-20"),
    ("col-11-late", "column", "2026-11", "2026-11-26"),  # today: nobody read it yet
]


QUIZZES = Path(__file__).resolve().parents[2] / "quizzes"


def add_articles() -> dict[str, Article]:
    items = {
        aid: Article(id=aid, title=f"文章{aid}", url=f"/{section}/{aid}/", section=section,
                     issue=issue, category="knowledge" if section == "column" else None,
                     published=dt.date.fromisoformat(day), chars=900, required_seconds=150,
                     credit_hours=Decimal("0.2"))
        for aid, section, issue, day in ARTICLES}
    db.session.add_all(items.values())
    db.session.commit()
    return items


@pytest.fixture
def articles(ctx: Flask) -> dict[str, Article]:
    return add_articles()


def count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def load() -> LoadResult:
    return load_demo(db.session, today=TODAY)


def check_ledger(articles: dict[str, Article]) -> None:
    entries = db.session.scalars(select(CreditEntry)).all()
    credited = set(db.session.execute(select(ReadingProgress.member_id,
                                             ReadingProgress.article_id)
                                      .where(ReadingProgress.credited.is_(True))).all())
    readings = [e for e in entries if e.source_type == "reading"]
    assert readings and len(readings) == len(credited)
    for entry in readings:
        article = articles[entry.source_key.removeprefix("reading:")]
        assert (entry.member_id, article.id) in credited
        assert article.published <= entry.earned_on < TODAY
        assert entry.hours == article.credit_hours
    assert all(e.earned_on < TODAY for e in entries)
    assert not any(e.source_key == "reading:col-11-late" for e in readings)

    # Credit counts where the member belonged on the day (组织关系转接 included).
    stints = defaultdict(list)
    for m in db.session.scalars(select(Membership)):
        stints[m.member_id].append(m)
    for entry in entries:
        assert any(m.org_id == entry.org_id and m.started_on <= entry.earned_on
                   and (m.ended_on is None or entry.earned_on <= m.ended_on)
                   for m in stints[entry.member_id]), entry.source_key

    trainings = db.session.scalars(select(Training)).all()
    kinds = defaultdict(list)
    for training in trainings:
        kinds[training.kind].append(training)
    assert [(t.hours, t.held_on.month) for t in kinds["rotation"]] == [(8, 10)]
    assert len(kinds["party_lecture"]) == 15 and all(t.hours == 2 for t in kinds["party_lecture"])
    assert all(t.hours == 1 for t in kinds["party_day"]) and len(kinds["party_day"]) > 400

    # Participation differs by township, so the reports have something to show.
    rates = []
    for township in db.session.scalars(select(Organization).where(
            Organization.kind.in_(("township", "urban_rural")))):
        inside = select(Organization.id).where(Organization.path.startswith(township.path))
        roll = count(Member, Member.org_id.in_(inside), Member.exempt.is_(False))
        active = db.session.scalar(select(func.count(func.distinct(CreditEntry.member_id)))
                                   .where(CreditEntry.org_id.in_(inside),
                                          CreditEntry.earned_on >= dt.date(2026, 11, 1)))
        rates.append(active / roll)
    assert min(rates) < 0.65 and max(rates) > 0.85


def test_needs_articles_first(ctx: Flask) -> None:
    outcome = ctx.test_cli_runner().invoke(args=["load-demo"])
    assert outcome.exit_code != 0 and "sync-content" in outcome.output
    assert count(Organization) == 0


def test_leaves_real_data_alone(ctx: Flask, articles: dict[str, Article]) -> None:
    db.session.add(Organization(code="XX", name="中共某县委", kind="county", path="/1/"))
    db.session.commit()
    outcome = ctx.test_cli_runner().invoke(args=["load-demo"])
    assert outcome.exit_code == 0 and "未做任何改动" in outcome.output
    assert count(Organization) == 1 and count(Member) == 0


@pytest.fixture(scope="class")
def demo(app: Flask) -> Iterator[LoadResult]:
    """The demo as `make run` loads it (quizzes, articles, then the demo), loaded once.

    Its tests are marked ``shared_db``, so the per-test cleanup leaves it in
    place; it is emptied here when the class is done.
    """
    try:
        with app.app_context():
            store(db.session, load_quizzes(QUIZZES))
            add_articles()
            result = load()
            db.session.remove()
        yield result
    finally:
        empty_database(app)


@pytest.fixture
def demo_articles(ctx: Flask, demo: LoadResult) -> dict[str, Article]:
    return {item.id: item for item in db.session.scalars(select(Article))}


@pytest.mark.shared_db
class TestTheLoadedDemo:
    """One load of the demo (``demo``), read by each test; the sign-in test, which
    signs the accounts in and out, comes last."""

    def test_loads_a_county_once(self, ctx: Flask, demo: LoadResult,
                                 demo_articles: dict[str, Article]) -> None:
        result = demo
        assert count(Organization, Organization.kind.in_(("township", "urban_rural"))) == 15
        assert 140 <= count(Organization, Organization.kind == "village") <= 160
        assert 2 <= count(Organization, Organization.kind == "community") <= 3
        assert count(Organization, Organization.kind == "department") == 20
        members = count(Member)
        assert 2700 <= members <= 3300 and members == result.members
        for category, low, high in (("secretary", 0.07, 0.13), ("activist", 0.03, 0.08)):
            assert low <= count(Member, Member.category == category) / members <= high
        assert 0.02 <= count(Member, Member.exempt.is_(True)) / members <= 0.06
        phones = db.session.scalars(select(Member.phone)).all()
        assert all(p and len(p) == 11 and p.isdigit() for p in phones)

        orgs = {o.id: o for o in db.session.scalars(select(Organization))}
        for org in orgs.values():
            parent = orgs.get(org.parent_id) if org.parent_id else None
            assert org.path == (parent.path if parent else "/") + f"{org.id}/"
            assert org.depth == (parent.depth + 1 if parent else 0)
        assert {o.name for o in orgs.values() if o.depth == 0} == {"中共青川县委"}

        # Every member has one current membership matching members.org_id.
        current = dict(db.session.execute(select(Membership.member_id, Membership.org_id)
                                          .where(Membership.ended_on.is_(None))).all())
        assert current == dict(db.session.execute(select(Member.id, Member.org_id)).all())
        assert count(Membership, Membership.ended_on.is_not(None)) == result.transfers > 0

        before = {model: count(model) for model in (Organization, Member, CreditEntry, Training)}
        with pytest.raises(AlreadyLoaded):
            load()
        outcome = ctx.test_cli_runner().invoke(args=["load-demo"])
        assert outcome.exit_code == 0 and "未做任何改动" in outcome.output
        assert {model: count(model) for model in before} == before

        check_ledger(demo_articles)

    def test_demo_exam_history_is_graded_by_the_engine(self, ctx: Flask,
                                                       demo: LoadResult) -> None:
        result = demo
        attempts = db.session.scalars(select(Attempt)).all()
        # score_attempt reads each pinned version by primary key: holding them all keeps
        # them in the session's identity map, so the regrade below reads each one once.
        _versions = db.session.scalars(select(QuestionVersion)).all()
        assert len(attempts) == result.exam_attempts > 300
        assert 0 < result.exam_passed < result.exam_attempts
        opens = dt.datetime(2026, 11, 23, 0, 0)  # 08:00 in Shanghai
        for attempt in attempts:
            assert attempt.status == "submitted" and attempt.test_id == "2026-H2"
            assert opens <= attempt.started_at < attempt.submitted_at
            assert attempt.submitted_at < dt.datetime(2026, 11, 25, 16, 0)  # before TODAY
            assert score_attempt(db.session, attempt.id) == (attempt.score, attempt.max_score)
            assert attempt.max_score == 100
        passed = {a.member_id for a in attempts if a.passed}
        assert len(passed) == result.exam_passed
        rows = db.session.execute(select(CreditEntry.member_id, CreditEntry.hours).where(
            CreditEntry.source_key == "test:2026-H2")).all()
        assert sorted(m for m, _ in rows) == sorted(passed)
        assert {float(h) for _, h in rows} == {2.0}
        member = db.session.scalar(select(Member).where(Member.code == "demo-member"))
        assert member is not None and member.id not in {a.member_id for a in attempts}

    def test_the_newsroom_has_reviewers_a_waiting_draft_and_a_scheduled_article(
            self, ctx: Flask, demo: LoadResult) -> None:
        codes: dict[int, str] = {pk: code for pk, code in db.session.execute(
            select(Member.id, Member.code))}
        assert [(name, sorted(codes[i] for i in ids))
                for name, ids in service.levels_config(db.session)] == [
            ("初审", ["demo-review1", "demo-township"]), ("复审", ["demo-review2"]),
            ("终审签发", ["demo-review3"])]
        reviewer = db.session.scalar(select(Member.id).where(Member.code == "demo-review1"))
        waiting = service.waiting_for(db.session, reviewer)
        assert [(a.state, a.level, a.section) for a in waiting] == [("in_review", 1, "news")]
        scheduled = db.session.scalar(select(NewsArticle).where(
            NewsArticle.state == "scheduled"))
        assert scheduled is not None and scheduled.publish_on == result_day(demo)
        assert scheduled.publish_on > TODAY and scheduled.publish_on.month == TODAY.month
        steps = [(s.action, s.level, codes[s.actor_id]) for s in service.trail(
            db.session, scheduled.id)]
        assert steps == [("save", 0, "demo-editor"), ("submit", 0, "demo-editor"),
                         ("approve", 1, "demo-review1"), ("approve", 2, "demo-review2"),
                         ("sign", 3, "demo-review3")]

    def test_demo_accounts_sign_in(self, ctx: Flask, demo_articles: dict[str, Article],
                                   client: FlaskClient) -> None:
        pages = {"member": "/app/", "org_admin": "/app/admin/orgs/", "editor": "/app/content/",
                 "county_admin": "/app/admin/members/"}
        for account in DEMO_ACCOUNTS:
            member = db.session.scalar(select(Member).where(Member.code == account.code))
            assert member is not None and member.role == account.role
            assert not member.must_change_password
            login(client, member, DEMO_PASSWORD)
            assert client.get(pages[account.role]).status_code == 200, account.code
            client.post("/app/logout", data={"csrf_token": client.get("/api/reading/session")
                                             .get_json()["csrf_token"]})

        secretary = db.session.scalar(select(Member).where(Member.code == "demo-secretary"))
        assert secretary.scope_org_id == secretary.org_id
        assert secretary.scope_org.kind == "village"
        township = db.session.scalar(select(Member).where(Member.code == "demo-township"))
        assert township.scope_org.name == "龙泉镇党委"

        # The demo member has history and still has articles to read.
        demo = db.session.scalar(select(Member).where(Member.code == "demo-member"))
        sources = set(db.session.scalars(select(CreditEntry.source_type)
                                         .where(CreditEntry.member_id == demo.id)))
        assert sources == {"reading", "training"}
        read = count(CreditEntry, CreditEntry.member_id == demo.id,
                     CreditEntry.source_type == "reading")
        assert 0 < read < len(demo_articles)
        login(client, demo, DEMO_PASSWORD)
        page = client.get("/app/").get_data(as_text=True)
        assert "接下来读" in page and "正在读" in page


def result_day(result: LoadResult) -> dt.date:
    assert result.scheduled_on is not None
    return result.scheduled_on


@pytest.mark.parametrize(("today", "day"), [
    (dt.date(2026, 12, 2), dt.date(2026, 12, 7)),  # five days on
    (dt.date(2026, 11, 26), dt.date(2026, 11, 30)),  # the month's last day
    (dt.date(2026, 11, 30), dt.date(2026, 12, 1)),  # the last day: tomorrow
    (dt.date(2028, 2, 27), dt.date(2028, 2, 29)),
])
def test_the_demo_schedules_its_article_later_in_the_month(today: dt.date, day: dt.date) -> None:
    assert scheduled_day(today) == day


def test_the_demo_scheduled_article_is_written_as_the_build_will_accept_it(
        ctx: Flask, tmp_path: Path, make_member: Any) -> None:
    ids = {code: make_member(role="editor" if code == "demo-editor" else "member").id
           for code in ("demo-editor", "demo-review1", "demo-review2", "demo-review3",
                        "demo-township")}
    content = tmp_path / "content"
    content.mkdir()
    day, written = load_newsroom(db.session, ids, TODAY, content)
    db.session.commit()
    assert written == content / "news" / "nianzhong-dangyuan-dongxun.md"
    text = written.read_text(encoding="utf-8")
    assert f"date: {day.isoformat()}" in text and "id: nianzhong-dangyuan-dongxun" in text
    assert check_draft(text, path="news/nianzhong-dangyuan-dongxun.md", content_dir=content,
                       today=TODAY) == []
