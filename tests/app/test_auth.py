"""Sign-in, initial passwords, throttling, sessions and CSRF on forms."""

from __future__ import annotations

from flask import Flask

from learning_app.auth.activation import issue
from learning_app.extensions import db
from learning_app.models import Member
from learning_app.models.types import utcnow
from tests.app.conftest import PASSWORD, csrf_from, login


def post_login(client, login_name: str, password: str):
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    return client.post("/app/login", data={"login": login_name, "password": password,
                                           "csrf_token": token})


def test_sign_in_by_code_or_phone_sets_the_reader_cookie(client, make_member) -> None:
    member = make_member(phone="13912345678")
    response = post_login(client, "13912345678", PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/app/")
    assert "dj_reader=1" in response.headers["Set-Cookie"]
    assert client.get("/app/").status_code == 200
    client.post("/app/logout", data={"csrf_token": csrf_from(
        client.get("/app/").get_data(as_text=True))})
    assert post_login(client, member.code, PASSWORD).status_code == 302


def test_wrong_password_is_refused_in_chinese(client, make_member) -> None:
    member = make_member()
    response = post_login(client, member.code, "wrong-password")
    assert response.status_code == 401
    assert "密码不正确" in response.get_data(as_text=True)
    assert client.get("/app/").status_code == 302  # still signed out


def test_no_initial_password_an_activation_code_instead(client, make_member) -> None:
    """Issue 11, finding 4: the phone's last digits open nothing; a one-time code
    sets the first password (the rules in detail: test_activation.py)."""
    member = make_member(password=None, phone="13800138123")
    assert post_login(client, member.code, "138123").status_code == 401
    assert 'href="/app/activate"' in client.get("/app/login").get_data(as_text=True)
    (notice,) = issue(db.session, [member], by=None, now=utcnow())
    token = csrf_from(client.get("/app/activate").get_data(as_text=True))
    done = client.post("/app/activate", data={
        "login": "13800138123", "code": notice.code, "new": "Qingchuan-2026",
        "confirm": "Qingchuan-2026", "csrf_token": token})
    assert done.status_code == 302
    assert post_login(client, member.code, "Qingchuan-2026").status_code == 302
    assert client.get("/app/").status_code == 200  # no forced change: the member chose it
    db.session.expire_all()
    stored = db.session.get(Member, member.id)
    assert stored.password_hash.startswith("$argon2") and not stored.must_change_password


def test_password_change_ends_other_sessions(app: Flask, make_member) -> None:
    member = make_member()
    phone_a, phone_b = app.test_client(), app.test_client()
    login(phone_a, member)
    login(phone_b, member)
    token = csrf_from(phone_a.get("/app/password").get_data(as_text=True))
    phone_a.post("/app/password", data={"current": PASSWORD, "new": "Another-pass-1",
                                        "confirm": "Another-pass-1", "csrf_token": token})
    assert phone_a.get("/app/").status_code == 200
    assert phone_b.get("/app/").status_code == 302  # signed out by the change


def test_sign_in_is_throttled_per_account(client, make_member) -> None:
    """Five failures, then even the right password waits (429, Retry-After); the
    counters are in the database (test_throttle.py has the rest)."""
    member = make_member()
    for _ in range(5):
        assert post_login(client, member.code, "bad").status_code == 401
    throttled = post_login(client, member.code, PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "秒后再试" in throttled.get_data(as_text=True)
    # Another account from the same address is not slowed down by it.
    other = make_member()
    assert post_login(client, other.code, PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_address(app: Flask, make_member) -> None:
    client = app.test_client()
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 8
    try:
        members = [make_member() for _ in range(9)]
        codes = [m.code for m in members]
        statuses = [post_login(client, code, "bad").status_code for code in codes]
        assert statuses[:8] == [401] * 8 and statuses[8] == 429
    finally:
        app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 20


def test_forms_without_csrf_token_are_rejected(client, make_member) -> None:
    member = make_member()
    response = client.post("/app/login", data={"login": member.code, "password": PASSWORD})
    assert response.status_code in (400, 401)
    assert client.get("/app/").status_code == 302
    login(client, member)
    assert client.post("/app/logout").status_code == 400  # CSRF missing
    assert client.get("/app/").status_code == 200


def test_open_redirect_is_not_followed(client, make_member) -> None:
    member = make_member()
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    response = client.post("/app/login?next=//evil.example/x", data={
        "login": member.code, "password": PASSWORD, "csrf_token": token})
    assert response.location.endswith("/app/")


def test_next_with_cr_lf_or_backslash_injects_nothing(app: Flask, make_member) -> None:
    member = make_member()
    for target in ("/app/%0d%0aSet-Cookie:%20evil=1", "/app/%0aLocation:%20//evil.example",
                   "/%5Cevil.example/x", "/%09/evil.example"):
        client = app.test_client()
        token = csrf_from(client.get("/app/login").get_data(as_text=True))
        response = client.post(f"/app/login?next={target}", data={
            "login": member.code, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, target
        assert response.location.endswith("/app/"), target
        assert not any("evil" in value for _, value in response.headers), target
    client = app.test_client()
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    kept = client.post("/app/login?next=/app/password%3Fx%3D1", data={
        "login": member.code, "password": PASSWORD, "csrf_token": token})
    assert kept.location.endswith("/app/password?x=1")  # a plain path still works


def test_sign_ins_and_password_changes_are_audited(client, make_member) -> None:
    from sqlalchemy import select

    from learning_app.models import AuditEvent

    member = make_member()
    post_login(client, "no-such-login", "whatever-1")
    post_login(client, member.code, "wrong-one")
    token = login(client, member)
    page_token = csrf_from(client.get("/app/password").get_data(as_text=True))
    assert client.post("/app/password", data={
        "current": PASSWORD, "new": "Lq-cun#2026-ok", "confirm": "Lq-cun#2026-ok",
        "csrf_token": page_token}).status_code == 302
    assert token
    client.post("/app/logout", data={"csrf_token": csrf_from(
        client.get("/app/").get_data(as_text=True))})
    db.session.expire_all()
    events = [(e.action, e.target_member_id, e.detail) for e in db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.id))]
    assert [e[0] for e in events] == ["sign_in_failed", "sign_in_failed", "sign_in",
                                      "password_changed", "sign_out"]
    assert events[0][1] is None and "no-such-login" in events[0][2]
    assert all(e[1] == member.id for e in events[1:])


def test_departed_members_cannot_sign_in(client, make_member) -> None:
    member = make_member(status="deceased")
    assert post_login(client, member.code, PASSWORD).status_code == 401
