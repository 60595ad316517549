"""Transfers, offline training, corrections, content sync and 我的学习."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from learning_app.admin.memberships import transfer
from learning_app.content.sync import ManifestError, read_manifest, sync
from learning_app.credits.ledger import award, org_on
from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Article, CreditEntry, Membership, Training
from learning_app.models.types import local_today
from learning_app.trainings.service import record_attendance
from tests.app.conftest import csrf_from, login, site_root


def hours_by_org(member_id: int) -> dict[int, Decimal]:
    rows = db.session.execute(select(CreditEntry.org_id, func.sum(CreditEntry.hours))
                              .where(CreditEntry.member_id == member_id)
                              .group_by(CreditEntry.org_id)).all()
    return {org_id: Decimal(total) for org_id, total in rows}


def make_training(tree, admin, held_on: dt.date, hours: str = "2") -> Training:
    training = Training(title="主题党日学习", kind="party_day", held_on=held_on,
                        hours=Decimal(hours), organizer="龙泉镇党委", org_id=tree["QC"].id,
                        created_by=admin.id)
    db.session.add(training)
    db.session.commit()
    return training


def test_a_transfer_mid_year_keeps_credit_where_it_was_earned(make_member, tree) -> None:
    admin = make_member(role="county_admin", scope="QC")
    member = make_member("QC-LQ-01", since=dt.date(2020, 3, 1))
    before = make_training(tree, admin, dt.date(2026, 5, 5))
    record_attendance(db.session, before, [member], admin.id)
    transfer(db.session, member, tree["QC-SQ-01"], dt.date(2026, 7, 1), "外出务工返乡")
    db.session.commit()
    after = make_training(tree, admin, dt.date(2026, 9, 5))
    # Recorded late (in November) for a May training: still counts for the old branch.
    late = make_training(tree, admin, dt.date(2026, 6, 20), hours="1")
    record_attendance(db.session, after, [member], admin.id)
    record_attendance(db.session, late, [member], admin.id)
    db.session.commit()
    assert hours_by_org(member.id) == {tree["QC-LQ-01"].id: Decimal("3.00"),
                                       tree["QC-SQ-01"].id: Decimal("2.00")}
    history = db.session.scalars(select(Membership).where(Membership.member_id == member.id)
                                 .order_by(Membership.started_on)).all()
    assert [(m.org_id, m.started_on, m.ended_on) for m in history] == [
        (tree["QC-LQ-01"].id, dt.date(2020, 3, 1), dt.date(2026, 6, 30)),
        (tree["QC-SQ-01"].id, dt.date(2026, 7, 1), None)]
    assert org_on(db.session, member.id, dt.date(2026, 6, 30)) == tree["QC-LQ-01"].id
    assert org_on(db.session, member.id, dt.date(2026, 7, 1)) == tree["QC-SQ-01"].id
    assert member.org_id == tree["QC-SQ-01"].id


def test_transfer_rules(make_member, tree) -> None:
    member = make_member("QC-LQ-01", since=dt.date(2026, 3, 1))
    with pytest.raises(Refused):
        transfer(db.session, member, tree["QC-LQ-01"], dt.date(2026, 5, 1))
    with pytest.raises(Refused):
        transfer(db.session, member, tree["QC-SQ-01"], dt.date(2026, 3, 1))


def test_training_attendance_is_recorded_once(make_member, tree) -> None:
    admin = make_member(role="county_admin", scope="QC")
    members = [make_member() for _ in range(3)]
    training = make_training(tree, admin, dt.date(2026, 10, 8))
    assert record_attendance(db.session, training, members[:2], admin.id) == (2, 0)
    assert record_attendance(db.session, training, members, admin.id) == (1, 2)
    db.session.commit()
    rows = db.session.scalars(select(CreditEntry).where(CreditEntry.source_type == "training"))
    assert sorted(r.member_id for r in rows) == sorted(m.id for m in members)


def test_ledger_rows_are_unique_per_member_and_source(make_member) -> None:
    member = make_member()
    kwargs = dict(member_id=member.id, org_id=member.org_id, source_type="reading",
                  source_key="reading:x", hours=Decimal("0.5"))
    assert award(db.session, **kwargs) is True
    assert award(db.session, **kwargs) is False
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CreditEntry)) == 1


def test_admin_records_a_training_through_the_pages(client, make_member) -> None:
    admin = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ")
    attendees = [make_member("QC-LQ-02") for _ in range(2)]
    login(client, admin)
    token = csrf_from(client.get("/app/admin/trainings/new").get_data(as_text=True))
    created = client.post("/app/admin/trainings/new", data={
        "csrf_token": token, "title": "2026年冬训集中轮训", "kind": "rotation",
        "held_on": "2026-11-20", "hours": "8", "organizer": "龙泉镇党委", "org_code": "QC-LQ"})
    assert created.status_code == 302
    page = client.post(created.location + "/attendees", data={
        "csrf_token": token, "member_id": [str(attendees[0].id)],
        "codes": attendees[1].code}, follow_redirects=True).get_data(as_text=True)
    assert "已登记2人" in page
    assert db.session.scalar(select(func.sum(CreditEntry.hours))) == Decimal("16.00")


def test_corrections_are_new_rows(client, make_member) -> None:
    admin = make_member(role="county_admin", scope="QC")
    member = make_member()
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="training",
          source_key="training:999", hours=Decimal(4))
    db.session.commit()
    login(client, admin)
    token = csrf_from(client.get(f"/app/admin/members/{member.id}").get_data(as_text=True))
    client.post(f"/app/admin/members/{member.id}/correction",
                data={"csrf_token": token, "hours": "-2", "note": "重复登记"})
    rows = db.session.scalars(select(CreditEntry).where(CreditEntry.member_id == member.id)
                              .order_by(CreditEntry.id)).all()
    assert [(r.source_type, r.hours) for r in rows] == [
        ("training", Decimal("4.00")), ("correction", Decimal("-2.00"))]
    assert rows[1].recorded_by == admin.id


MANIFEST = {"version": 1, "generated_at": "2026-11-26T08:00:00+08:00", "articles": [
    {"id": "a-one", "title": "一", "url": "/column/2026-11/a-one/", "section": "column",
     "issue": "2026-11", "category": "knowledge", "published": "2026-11-03", "chars": 900,
     "required_seconds": 135, "credit_hours": 0.1},
    {"id": "b-two", "title": "二", "url": "/news/b-two/", "section": "news", "issue": None,
     "category": None, "published": "2026-11-05", "chars": 500, "required_seconds": 75,
     "credit_hours": 0.1},
]}


def test_sync_upserts_and_keeps_credits_of_removed_articles(ctx, make_member, tmp_path) -> None:
    first = sync(db.session, MANIFEST["articles"])
    assert (first.added, first.updated, first.unchanged, first.withdrawn) == (2, 0, 0, 0)
    again = sync(db.session, MANIFEST["articles"])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    member = make_member()
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="reading",
          source_key="reading:b-two", hours=Decimal("0.1"))
    changed = [dict(MANIFEST["articles"][0], title="一（修订）")]
    result = sync(db.session, changed)
    assert (result.updated, result.withdrawn) == (1, 1)
    assert db.session.get(Article, "a-one").title == "一（修订）"
    assert db.session.get(Article, "b-two").in_manifest is False
    assert db.session.scalar(select(func.count()).select_from(CreditEntry)) == 1
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"version": 2}), encoding="utf-8")
    with pytest.raises(ManifestError, match="version"):
        read_manifest(path)


def test_sync_content_command(app, tmp_path) -> None:
    path = tmp_path / "learning-manifest.json"
    path.write_text(json.dumps(MANIFEST, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["sync-content", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output


def test_my_learning_page(client, make_member, article, tree) -> None:
    member = make_member()
    newer = Article(id="newest-one", title="最新的一篇", url="/column/2026-11/newest-one/",
                    section="column", issue="2026-11", category="cases",
                    published=dt.date(2026, 11, 20), chars=800, required_seconds=120,
                    credit_hours=Decimal("0.2"))
    db.session.add(newer)
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="reading",
          source_key="reading:liangbuchou-exit", hours=Decimal("0.5"),
          earned_on=local_today())
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="training",
          source_key="training:1", hours=Decimal("8"), earned_on=local_today())
    db.session.commit()
    login(client, member)
    page = client.get("/app/").get_data(as_text=True)
    assert 'data-testid="total-hours">8.5</strong> / 32' in page
    assert "贫困户退出“两不愁三保障”标准解读" in page
    assert 'href="/column/2026-11/newest-one/">最新的一篇</a>' in page  # next step


def test_site_is_served_at_the_root(client, app) -> None:
    root = site_root(app)
    (root / "column").mkdir(exist_ok=True)
    (root / "column" / "index.html").write_text("专栏", encoding="utf-8")
    assert client.get("/").get_data(as_text=True) == "<h1>site</h1>"
    assert client.get("/column/").get_data(as_text=True) == "专栏"
    assert client.get("/column").status_code == 301
    assert client.get("/../secret").status_code == 404
    assert client.get("/nope/").status_code == 404


def test_targets_come_from_the_migration_per_category(ctx) -> None:
    from learning_app.me.summary import annual_target

    assert annual_target(db.session, "member") == Decimal(32)
    assert annual_target(db.session, "secretary") == Decimal(56)
    assert annual_target(db.session, "unknown") == Decimal(32)


def test_the_member_page_names_credit_sources_in_chinese(client, make_member, article) -> None:
    admin = make_member(role="county_admin", scope="QC")
    member = make_member()
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="reading",
          source_key="reading:liangbuchou-exit", hours=Decimal("0.5"), earned_on=local_today())
    award(db.session, member_id=member.id, org_id=member.org_id, source_type="reading",
          source_key="reading:withdrawn-one", hours=Decimal("0.1"), earned_on=local_today())
    db.session.commit()
    login(client, admin)
    page = client.get(f"/app/admin/members/{member.id}").get_data(as_text=True)
    assert "专栏阅读" in page and "贫困户退出“两不愁三保障”标准解读" in page
    # Never the ledger's keys, even for an article no longer on the site.
    assert "reading:" not in page and ">reading<" not in page
