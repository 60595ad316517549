"""Reading credit (contract 3): server-side accounting of heartbeats."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import Article, CreditEntry, ReadingProgress
from learning_app.reading.rules import BeatInput, account
from learning_app.reading.service import Beat, record
from tests.app.conftest import login

VIEW = "view-0001-aaaa"


def beat_input(**changes: object) -> BeatInput:
    base = dict(now_ms=100_000, seq=2, resume=False, view_seen=True, view_last_seq=1,
                view_last_ms=90_000, clock_last_ms=90_000, active_ms=0, required_ms=60_000,
                credited=False, cap_ms=20_000)
    base.update(changes)
    return BeatInput(**base)  # type: ignore[arg-type]


def test_credit_is_real_elapsed_time_capped() -> None:
    assert account(beat_input()).credit_ms == 10_000
    assert account(beat_input(now_ms=500_000)).credit_ms == 20_000  # capped
    assert account(beat_input(clock_last_ms=99_000)).credit_ms == 1_000  # another tab beat


def test_first_beat_and_resume_open_a_span_without_credit() -> None:
    assert account(beat_input(view_seen=False, seq=1)).credit_ms == 0
    assert account(beat_input(resume=True)).credit_ms == 0


def test_replays_and_stale_heartbeats_are_ignored() -> None:
    for seq in (1, 0):
        outcome = account(beat_input(seq=seq))
        assert not outcome.accepted and outcome.credit_ms == 0


def test_award_once_when_required_time_reached() -> None:
    assert account(beat_input(active_ms=50_000)).award
    assert not account(beat_input(active_ms=50_000, credited=True)).award
    assert not account(beat_input(active_ms=40_000)).award


def post_beat(client, token: str, seq: int, view: str = VIEW, **extra: object):
    return client.post("/api/reading/heartbeat", json={"article_id": "liangbuchou-exit",
                                                       "view_id": view, "seq": seq, **extra},
                       headers={"X-CSRFToken": token})


def ledger_rows(member_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.member_id == member_id))


def test_reading_through_the_api_earns_the_credit_once(client, make_member, article,
                                                       monkeypatch) -> None:
    member = make_member()
    token = login(client, member)
    clock = {"ms": 1_000_000}
    monkeypatch.setattr("learning_app.reading.service.now_ms", lambda: clock["ms"])
    for seq in range(1, 6):  # 4 x 15 s of reading after the opening beat
        response = post_beat(client, token, seq)
        assert response.status_code == 200, response.get_json()
        clock["ms"] += 15_000
    body = response.get_json()
    assert body["credited"] is True and body["active_seconds"] == 60
    rows = db.session.scalars(select(CreditEntry).where(CreditEntry.member_id == member.id)).all()
    assert [(r.source_type, r.source_key, r.hours) for r in rows] == [
        ("reading", "reading:liangbuchou-exit", Decimal("0.50"))]
    assert rows[0].org_id == member.org_id
    # Reading on, or again in a new view, never adds a second row.
    post_beat(client, token, 6)
    post_beat(client, token, 1, view="view-0002-bbbb")
    clock["ms"] += 15_000
    post_beat(client, token, 2, view="view-0002-bbbb")
    assert ledger_rows(member.id) == 1


def test_the_same_heartbeat_twice_counts_once(client, make_member, article, monkeypatch) -> None:
    member = make_member()
    token = login(client, member)
    clock = {"ms": 5_000_000}
    monkeypatch.setattr("learning_app.reading.service.now_ms", lambda: clock["ms"])
    post_beat(client, token, 1)
    clock["ms"] += 15_000
    first = post_beat(client, token, 2).get_json()
    clock["ms"] += 15_000
    replay = post_beat(client, token, 2).get_json()
    assert first["accepted"] and not replay["accepted"]
    assert replay["active_seconds"] == first["active_seconds"] == 15


def test_heartbeats_faster_than_real_time_earn_no_faster(client, make_member, article,
                                                         monkeypatch) -> None:
    member = make_member()
    token = login(client, member)
    clock = {"ms": 9_000_000}
    monkeypatch.setattr("learning_app.reading.service.now_ms", lambda: clock["ms"])
    for seq in range(1, 201):  # 200 heartbeats within 10 real seconds
        post_beat(client, token, seq)
        clock["ms"] += 50
    progress = db.session.get(ReadingProgress, (member.id, "liangbuchou-exit"))
    assert progress.active_ms <= 10_000
    assert ledger_rows(member.id) == 0
    # Two tabs beating in turn share one clock: no double speed either.
    for seq in range(1, 21):
        post_beat(client, token, 200 + seq)
        post_beat(client, token, seq, view="view-0003-cccc")
        clock["ms"] += 1_000
    db.session.expire_all()
    progress = db.session.get(ReadingProgress, (member.id, "liangbuchou-exit"))
    assert progress.active_ms <= 10_000 + 20_000


def test_parallel_heartbeats_credit_once(app: Flask, make_member, article, monkeypatch) -> None:
    """Many threads, same member, heartbeats crossing the threshold together."""
    member = make_member()
    member_id = member.id
    clock = {"ms": 20_000_000}
    monkeypatch.setattr("learning_app.reading.service.now_ms", lambda: clock["ms"])
    with app.app_context():
        record(db.session, member_id, Beat("liangbuchou-exit", VIEW, 1))
        db.session.get(ReadingProgress, (member_id, "liangbuchou-exit")).active_ms = 59_000
        db.session.commit()
    clock["ms"] += 15_000
    errors: list[BaseException] = []

    def worker(seq: int, view: str) -> None:
        try:
            with app.app_context():
                record(db.session, member_id, Beat("liangbuchou-exit", view, seq))
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(2, VIEW)) for _ in range(4)]
    threads += [threading.Thread(target=worker, args=(1, f"view-par-{n:04d}")) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert ledger_rows(member_id) == 1
        progress = db.session.get(ReadingProgress, (member_id, "liangbuchou-exit"))
        assert progress.active_ms == 59_000 + 15_000  # one accepted, the rest ignored


@pytest.mark.parametrize(("payload", "status"), [
    ({"article_id": "no-such-article", "view_id": VIEW, "seq": 1}, 404),
    ({"article_id": "liangbuchou-exit", "view_id": "x", "seq": 1}, 400),
    ({"article_id": "liangbuchou-exit", "view_id": VIEW, "seq": "one"}, 400),
])
def test_bad_heartbeats_are_rejected(client, make_member, article, payload, status) -> None:
    token = login(client, make_member())
    response = client.post("/api/reading/heartbeat", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == status


def test_unpublished_or_withdrawn_articles_earn_nothing(client, make_member, article) -> None:
    token = login(client, make_member())
    article_row = db.session.get(Article, "liangbuchou-exit")
    article_row.published = dt.date.today() + dt.timedelta(days=3)
    db.session.commit()
    assert post_beat(client, token, 1).status_code == 404
    article_row.published, article_row.in_manifest = dt.date(2026, 1, 1), False
    db.session.commit()
    assert post_beat(client, token, 1).status_code == 404


def test_heartbeat_needs_sign_in_and_csrf(client, make_member, article) -> None:
    assert post_beat(client, "whatever", 1).status_code in (400, 401)
    login(client, make_member())
    response = client.post("/api/reading/heartbeat", json={
        "article_id": "liangbuchou-exit", "view_id": VIEW, "seq": 1})
    assert response.status_code == 400  # no CSRF token
    assert "CSRF" in response.get_data(as_text=True)


def test_beacon_form_with_token_in_body_is_accepted(client, make_member, article) -> None:
    token = login(client, make_member())
    response = client.post("/api/reading/heartbeat", data={
        "article_id": "liangbuchou-exit", "view_id": VIEW, "seq": "1", "final": "true",
        "csrf_token": token})
    assert response.status_code == 200 and response.get_json()["accepted"] is True


def test_a_password_change_signs_heartbeats_out(app: Flask, make_member, article) -> None:
    member = make_member()
    reader, other = app.test_client(), app.test_client()
    token = login(reader, member)
    assert post_beat(reader, token, 1).status_code == 200
    other_token = login(other, member)
    page = other.get("/app/password").get_data(as_text=True)
    assert other_token and page
    db.session.get(type(member), member.id).auth_version += 1
    db.session.commit()
    assert post_beat(reader, token, 2).status_code == 401


def test_a_password_still_to_change_blocks_heartbeats(client, make_member, article) -> None:
    """An account that must change its password (e.g. one set by an admin's command)
    gets no reading credit until it has; one not yet activated can't sign in at all."""
    pending = make_member(password=None, phone="13700001234")
    from tests.app.conftest import PASSWORD, csrf_from

    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    refused = client.post("/app/login", data={"login": pending.code, "password": "001234",
                                              "csrf_token": token})
    assert refused.status_code == 401
    assert post_beat(client, token, 1).status_code in (400, 401)
    member = make_member(must_change_password=True)
    client.post("/app/login", data={"login": member.code, "password": PASSWORD,
                                    "csrf_token": token})
    token = csrf_from(client.get("/app/password").get_data(as_text=True))
    assert post_beat(client, token, 1).status_code == 403


def test_award_commits_are_durable_on_postgresql(app: Flask, make_member, article,
                                                 monkeypatch) -> None:
    """Plain heartbeats may skip the WAL flush; a commit that awards credit may not."""
    member = make_member()
    settings: list[str] = []
    from learning_app.reading import service

    original = service._write_and_commit_pipelined

    def spy(conn, params, *, durable):  # type: ignore[no-untyped-def]
        settings.append("durable" if durable else "fast")
        original(conn, params, durable=durable)

    monkeypatch.setattr(service, "_write_and_commit_pipelined", spy)
    clock = {"ms": 30_000_000}
    monkeypatch.setattr("learning_app.reading.service.now_ms", lambda: clock["ms"])
    for seq in range(1, 6):
        record(db.session, member.id, Beat("liangbuchou-exit", VIEW, seq))
        clock["ms"] += 15_000
    if db.engine.dialect.name != "postgresql":
        assert settings == []  # SQLite takes its own path (WAL, synchronous=NORMAL)
        return
    assert settings == ["fast", "fast", "fast", "fast", "durable"]
    assert ledger_rows(member.id) == 1
