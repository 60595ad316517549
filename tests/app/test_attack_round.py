"""Holes found by the attacker's pass over issue 11 ("Trust"), one test each.

Each test failed before its fix; the docstring names the hole.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from learning_app.auth import throttle
from tests.app.conftest import PASSWORD, MakeMember, csrf_from

NEW_PASSWORD = "Hw4!trQ9#zeLp"


def attempt(client: FlaskClient, login: str, password: str) -> Any:
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    return client.post("/app/login", data={"login": login, "password": password,
                                           "csrf_token": token})


def test_device_cookies_from_before_a_password_change_count_for_nothing(
        app: Flask, make_member: MakeMember) -> None:
    """Whoever once knew a password (a relative, an ex-colleague) could sign in
    many times and keep every device cookie; after the owner changed the password
    each old cookie still had its own five free guesses and its own waits, apart
    from the account's counter: N cookies, N times the guessing rate."""
    member = make_member()
    phones = [app.test_client() for _ in range(3)]
    for phone in phones:
        assert attempt(phone, member.code, PASSWORD).status_code == 302
        assert phone.get_cookie(throttle.DEVICE_COOKIE, path="/app/login") is not None
    owner = phones[0]
    token = csrf_from(owner.get("/app/password").get_data(as_text=True))
    changed = owner.post("/app/password", data={
        "csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    guesser = phones[1]
    assert [attempt(guesser, member.code, f"guess-{n}").status_code
            for n in range(5)] == [401] * 5
    # The old cookies are now strangers: the account's shared counter applies to all.
    assert attempt(phones[2], member.code, "guess-6").status_code == 429
    assert attempt(app.test_client(), member.code, NEW_PASSWORD).status_code == 429
