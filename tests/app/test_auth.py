"""Sign-in, initial passwords, throttling, sessions and CSRF on forms."""

from __future__ import annotations

from flask import Flask

from learning_app.extensions import db
from learning_app.models import Member
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


def test_initial_password_is_phone_tail_and_must_be_changed(client, make_member) -> None:
    member = make_member(password=None, phone="13800138123")
    response = post_login(client, member.code, "138123")
    assert response.status_code == 302 and response.location.endswith("/app/password")
    # Nothing else is reachable until the password is changed.
    assert client.get("/app/").location.endswith("/app/password")
    assert client.get("/api/reading/session").status_code == 403
    page = client.get("/app/password").get_data(as_text=True)
    token = csrf_from(page)
    weak = client.post("/app/password", data={"current": "138123", "new": "13800138123",
                                              "confirm": "13800138123", "csrf_token": token})
    assert "不能用手机号作密码" in weak.get_data(as_text=True)
    done = client.post("/app/password", data={"current": "138123", "new": "Qingchuan-2026",
                                              "confirm": "Qingchuan-2026", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/app/").status_code == 200
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
    member = make_member()
    for _ in range(5):
        assert post_login(client, member.code, "bad").status_code == 401
    assert post_login(client, member.code, PASSWORD).status_code == 429
    # Another account from the same address is not locked by it.
    other = make_member()
    assert post_login(client, other.code, PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_address(app: Flask, make_member) -> None:
    client = app.test_client()
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8/minute"
    try:
        members = [make_member() for _ in range(9)]
        codes = [m.code for m in members]
        statuses = [post_login(client, code, "bad").status_code for code in codes]
        assert statuses[:8] == [401] * 8 and statuses[8] == 429
    finally:
        app.config["LOGIN_LIMIT_PER_ADDRESS"] = "30/minute"


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


def test_departed_members_cannot_sign_in(client, make_member) -> None:
    member = make_member(status="deceased")
    assert post_login(client, member.code, PASSWORD).status_code == 401
