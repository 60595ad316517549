"""Issue 11, finding 6: sign-ins live on the server (auth/sessions.py).

Signing out ends the sign-in, so copies of the session and remember-me
cookies stop working, on pages and on the hot JSON endpoints alike, which
check the sign-in inside their own SQL."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from learning_app import create_app
from learning_app.auth.sessions import UserId, format_user_id, lifetime, live, parse_user_id
from learning_app.extensions import db
from learning_app.models.auth import SignIn
from learning_app.models.types import utcnow
from learning_app.quiz.autosave import SaveRefused, SaveState, check
from tests.app.conftest import PASSWORD, MakeMember, csrf_from, login
from tests.app.quiz_helpers import LIVE, load

REMEMBER = "remember_token"


def sign_in(client: FlaskClient, member, *, remember: bool = False) -> str:
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    data = {"login": member.code, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    assert client.post("/app/login", data=data).status_code == 302
    return client.get("/api/reading/session").get_json()["csrf_token"]


def sign_out(client: FlaskClient) -> None:
    token = csrf_from(client.get("/app/").get_data(as_text=True))
    assert client.post("/app/logout", data={"csrf_token": token}).status_code == 302


def copy_cookies(source: FlaskClient, target: FlaskClient, names: tuple[str, ...]) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/app/").status_code == 200


def rows(member) -> list[SignIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignIn).where(SignIn.member_id == member.id)))


def test_user_ids_name_a_sign_in() -> None:
    assert parse_user_id(format_user_id(17, 3, "abc-_1")) == UserId(17, "3", "abc-_1")
    # Cookies from before server-side sessions name no sign-in: nobody is loaded.
    for old in ("17:3", "17", "", None, "x:3:abc", "17:x:abc", "1" * 30 + ":1:a"):
        assert parse_user_id(old) is None


def test_lifetimes_plain_rules() -> None:
    assert lifetime(remember=False, session_hours=12,
                    remember_duration=dt.timedelta(days=30)) == dt.timedelta(hours=12)
    assert lifetime(remember=True, session_hours=12,
                    remember_duration=dt.timedelta(days=90)) == dt.timedelta(days=30)
    now = dt.datetime(2026, 5, 1, 8)
    assert live(now + dt.timedelta(seconds=1), now)
    assert not live(now, now) and not live(None, now)


def test_sign_out_ends_both_cookies_on_the_server(app: Flask, make_member: MakeMember) -> None:
    member = make_member()
    phone = app.test_client()
    sign_in(phone, member, remember=True)
    thief, thief_remember_only = app.test_client(), app.test_client()
    copy_cookies(phone, thief, ("session", REMEMBER))
    copy_cookies(phone, thief_remember_only, (REMEMBER,))
    assert signed_in(thief) and signed_in(thief_remember_only)  # copies work while signed in
    sign_out(phone)
    assert not signed_in(phone)
    assert not signed_in(thief)
    assert not signed_in(thief_remember_only)
    (row,) = rows(member)
    assert row.ended_at is not None and row.remember


def test_remember_me_is_opt_in_and_at_most_30_days(app: Flask, make_member: MakeMember
                                                     ) -> None:
    page = app.test_client().get("/app/login").get_data(as_text=True)
    checkbox = page[page.index('name="remember"') - 80:page.index('name="remember"') + 80]
    assert "checked" not in checkbox
    member = make_member()
    plain = app.test_client()
    before = utcnow()
    sign_in(plain, member)
    assert plain.get_cookie(REMEMBER) is None
    remembered = app.test_client()
    token = csrf_from(remembered.get("/app/login").get_data(as_text=True))
    response = remembered.post("/app/login", data={
        "login": member.code, "password": PASSWORD, "csrf_token": token, "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert dt.timedelta(0) < expires.replace(tzinfo=None) - before <= dt.timedelta(
        days=30, minutes=1)
    short, long = sorted(rows(member), key=lambda row: row.expires_at)
    assert not short.remember and long.remember
    hours = float(app.config["LOGIN_SESSION_HOURS"])
    assert short.expires_at - before <= dt.timedelta(hours=hours, minutes=1)
    assert long.expires_at - before <= dt.timedelta(days=30, minutes=1)


def test_remember_cookie_is_secure_whenever_the_session_cookie_is(database_url: str,
                                                                  tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "x", "SITE_DIR": str(tmp_path),
                      "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": False,
                      "REMEMBER_COOKIE_DURATION": dt.timedelta(days=365)})
    try:
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
        assert app.config["REMEMBER_COOKIE_DURATION"] == dt.timedelta(days=30)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_sign_in_without_remember_me_expires(app: Flask, make_member: MakeMember) -> None:
    member = make_member()
    phone = app.test_client()
    sign_in(phone, member)
    assert signed_in(phone)
    db.session.execute(update(SignIn).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(phone)


def test_password_change_ends_the_other_sign_ins_only(app: Flask, make_member: MakeMember
                                                      ) -> None:
    member = make_member()
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, member, remember=True)
    sign_in(elsewhere, member)
    token = csrf_from(here.get("/app/password").get_data(as_text=True))
    assert here.post("/app/password", data={
        "current": PASSWORD, "new": "Lq-cun#2026-ok", "confirm": "Lq-cun#2026-ok",
        "csrf_token": token}).status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    ended = {row.remember: row.ended_at for row in rows(member)}
    assert ended[True] is None and ended[False] is not None
    # This browser's remember-me cookie was renewed with the new password's version.
    alone = app.test_client()
    copy_cookies(here, alone, (REMEMBER,))
    assert signed_in(alone)


def test_a_heartbeat_from_an_ended_sign_in_is_refused(app: Flask, make_member: MakeMember,
                                                      article) -> None:
    member = make_member()
    reader, copy = app.test_client(), app.test_client()
    token = sign_in(reader, member)
    copy_cookies(reader, copy, ("session",))
    beat = {"article_id": article.id, "view_id": "view-0001-aaaa", "seq": 1}
    assert copy.post("/api/reading/heartbeat", json=beat,
                     headers={"X-CSRFToken": token}).status_code == 200
    sign_out(reader)
    refused = copy.post("/api/reading/heartbeat", json={**beat, "seq": 2},
                        headers={"X-CSRFToken": token})
    assert (refused.status_code, refused.get_json()["error"]) == (401, "请先登录")


def test_a_heartbeat_from_an_expired_sign_in_is_refused(app: Flask, make_member: MakeMember,
                                                        article) -> None:
    reader = app.test_client()
    token = sign_in(reader, make_member())
    beat = {"article_id": article.id, "view_id": "view-0002-bbbb", "seq": 1}
    db.session.execute(update(SignIn).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert reader.post("/api/reading/heartbeat", json=beat,
                       headers={"X-CSRFToken": token}).status_code == 401


def test_an_autosave_from_an_ended_sign_in_is_refused(app: Flask, ctx: Flask, tmp_path: Path,
                                                      make_member: MakeMember) -> None:
    load(tmp_path / "quizzes", LIVE)
    member = make_member()
    examinee, copy = app.test_client(), app.test_client()
    token = login(examinee, member)
    attempt_id = examinee.post("/api/quiz/tests/live/attempts",
                               headers={"X-CSRFToken": token}).get_json()["attempt_id"]
    copy_cookies(examinee, copy, ("session",))
    url = f"/api/quiz/attempts/{attempt_id}/answers/1"
    assert copy.put(url, json={"response": None},
                    headers={"X-CSRFToken": token}).status_code == 200
    sign_out(examinee)
    refused = copy.put(url, json={"response": None}, headers={"X-CSRFToken": token})
    assert (refused.status_code, refused.get_json()["error"]) == (401, "请先登录")


def test_no_last_seen_time_is_kept(app: Flask, make_member: MakeMember, article) -> None:
    """Sessions are not an activity log: using one writes nothing to its row."""
    reader = app.test_client()
    token = sign_in(reader, make_member())
    (before,) = [(r.id, r.created_at, r.expires_at, r.ended_at)
                 for r in db.session.scalars(select(SignIn))]
    reader.get("/app/")
    reader.post("/api/reading/heartbeat", json={
        "article_id": article.id, "view_id": "view-0003-cccc", "seq": 1},
        headers={"X-CSRFToken": token})
    (after,) = [(r.id, r.created_at, r.expires_at, r.ended_at)
                for r in db.session.scalars(select(SignIn))]
    assert after == before
    assert set(SignIn.__table__.columns.keys()) == {
        "id", "member_id", "remember", "created_at", "expires_at", "ended_at", "address",
        "user_agent"}


def test_the_autosave_rule_refuses_an_ended_sign_in() -> None:
    now = dt.datetime(2026, 5, 1, 8)
    state = SaveState(status="open", deadline_at=None, member_status="active",
                      auth_version="1", must_change_password=False,
                      presented={"type": "single", "options": [{"key": "A"}]},
                      practice=False, signed_in=False)
    with pytest.raises(SaveRefused) as refused:
        check(state, "A", now, dt.timedelta(minutes=2), "1")
    assert refused.value.status == 401
