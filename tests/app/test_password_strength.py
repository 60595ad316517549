"""Issue 11, finding 12: common and trivial passwords are refused with a Chinese
hint (auth/passwords.py ``password_problem``: fixed rules plus zxcvbn, offline)."""

from __future__ import annotations

import pytest
from flask import Flask

from learning_app.auth.passwords import password_problem
from tests.app.conftest import PASSWORD, MakeMember, csrf_from, login

PHONE, CODE, NAME = "13912345678", "QC-LQ-0107", "张建国"

REFUSED = [
    "12345678", "password", "11111111", "qwertyui", "dangjian123", "Dangjian2026",
    "woaini1314", "1qaz2wsx", "abcd1234", "aaaaaaaa", "Passw0rd!",
    PHONE, PHONE + "a", CODE, CODE.lower(), CODE + "x", NAME + "12345678", "xuexiqiangguo1",
]
ACCEPTED = ["青川龙泉2026好", "Lq-cun#2026-ok", "Another-pass-1", "石桥乡白果村7组的老李",
            "maple-Tiger-42-river"]


@pytest.mark.parametrize("password", REFUSED)
def test_common_and_personal_passwords_are_refused(password: str) -> None:
    problem = password_problem(password, phone=PHONE, code=CODE, name=NAME)
    assert problem is not None
    assert any("\u4e00" <= char <= "\u9fff" for char in problem)  # in Chinese


@pytest.mark.parametrize("password", ACCEPTED)
def test_decent_passphrases_are_accepted(password: str) -> None:
    assert password_problem(password, phone=PHONE, code=CODE, name=NAME) is None


def test_the_hint_says_what_is_wrong() -> None:
    def hint(password: str) -> str:
        return password_problem(password, phone=PHONE, code=CODE, name=NAME) or ""

    assert hint("short") == "密码至少8位"
    assert hint(PHONE) == "不能用手机号作密码"
    assert "手机号、党员编号或姓名" in hint(PHONE + "ab")
    assert "常见密码" in hint("password")
    assert "连续" in hint("abcdefgh")


def test_the_password_page_refuses_a_common_password(app: Flask, client,
                                                     make_member: MakeMember) -> None:
    member = make_member()
    login(client, member)
    token = csrf_from(client.get("/app/password").get_data(as_text=True))
    page = client.post("/app/password", data={"current": PASSWORD, "new": "12345678",
                                              "confirm": "12345678", "csrf_token": token})
    assert page.status_code == 200 and "常见密码" in page.get_data(as_text=True)
    done = client.post("/app/password", data={"current": PASSWORD, "new": "青川龙泉2026好",
                                              "confirm": "青川龙泉2026好", "csrf_token": token})
    assert done.status_code == 302
