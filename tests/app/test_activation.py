"""One-time activation codes (issue 11, finding 4): no guessable initial password;
random, hashed, expiring, single-use codes handed out on a printed 开通通知单."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learning_app.auth import activation
from learning_app.auth.activation import (
    FAILED,
    MAX_FAILURES,
    ActivationError,
    activate,
    format_code,
    issue,
    new_code,
    normalize_code,
)
from learning_app.extensions import db
from learning_app.models import ActivationCode, AuditEvent, Member, SignIn, ThrottleCounter
from learning_app.models.types import utcnow
from tests.app.conftest import PASSWORD, MakeMember, Tree, csrf_from, login

T0 = dt.datetime(2026, 11, 2, 1, 30)  # an injected clock: 09:30 in Beijing
NEW = "Qingchuan-2026"
SLIP_CODE = re.compile(r'<dd class="mono">(\d{4} \d{4} \d{2})</dd>')


def post_login(client: FlaskClient, login_name: str, password: str) -> Any:
    token = csrf_from(client.get("/app/login").get_data(as_text=True))
    return client.post("/app/login", data={"login": login_name, "password": password,
                                           "csrf_token": token})


def post_activate(client: FlaskClient, login_name: str, code: str,
                  password: str = NEW, confirm: str | None = None) -> Any:
    token = csrf_from(client.get("/app/activate").get_data(as_text=True))
    return client.post("/app/activate", data={
        "login": login_name, "code": code, "new": password,
        "confirm": password if confirm is None else confirm, "csrf_token": token})


def issue_one(member: Member, now: dt.datetime | None = None, by: Member | None = None) -> str:
    """A code for ``member`` as printed on the slip ("3821 0945 67")."""
    (notice,) = issue(db.session, [member], by=by, now=now or utcnow())
    return notice.code


def fresh(member: Member) -> Member:
    db.session.expire_all()
    found = db.session.get(Member, member.id)
    assert found is not None
    return found


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


# ------------------------------------------------------------------ rules

def test_codes_are_ten_random_digits_in_groups_and_typing_is_forgiving() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 10 and c.isdigit() for c in codes)
    assert format_code("3821094567") == "3821 0945 67"
    assert normalize_code("3821 0945 67") == "3821094567"
    assert normalize_code("３８２１-０９４５-６７") == "3821094567"  # a Chinese keyboard
    assert normalize_code("3821 0945 6") is None and normalize_code("38210945ab") is None
    assert normalize_code("") is None


# ------------------------------------------------- no guessable first password

@pytest.mark.parametrize("typed", ["138123", "00138123", "13800138123"])
def test_phone_digits_no_longer_sign_in(client: FlaskClient, make_member: MakeMember,
                                        typed: str) -> None:
    member = make_member(password=None, phone="13800138123")
    for login_name in (member.code, "13800138123"):
        response = post_login(client, login_name, typed)
        assert response.status_code == 401
    assert client.get("/app/").status_code == 302  # still signed out


def test_the_login_page_points_to_activation(client: FlaskClient, ctx: Flask) -> None:
    page = client.get("/app/login").get_data(as_text=True)
    assert 'href="/app/activate"' in page and "用开通码开通" in page
    assert "后六位" not in page


# ------------------------------------------------------------ using a code

def test_a_code_activates_the_account_once(client: FlaskClient, make_member: MakeMember,
                                           app: Flask) -> None:
    member = make_member(password=None, phone="13800138123")
    version = member.auth_version
    code = issue_one(member)
    response = post_activate(client, "138 0013 8123", code.replace(" ", ""))
    assert response.status_code == 302 and response.location.endswith("/app/")
    assert client.get("/app/").status_code == 200  # signed in with the new password
    stored = fresh(member)
    assert stored.password_hash and stored.password_hash.startswith("$argon2")
    assert not stored.must_change_password and stored.auth_version == version + 1
    assert post_login(app.test_client(), member.code, NEW).status_code == 302

    again = post_activate(app.test_client(), member.code, code, "Another-pass-9")
    assert again.status_code == 400 and FAILED in again.get_data(as_text=True)
    assert post_login(app.test_client(), member.code, NEW).status_code == 302
    used = events("activation_used")
    assert [e.target_member_id for e in used] == [member.id]


def test_two_parallel_uses_of_one_code_one_succeeds(app: Flask, make_member: MakeMember,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    member = make_member(password=None)
    code = issue_one(member, now=T0)
    member_id, member_code, version = member.id, member.code, member.auth_version
    db.session.remove()
    both_checked = threading.Barrier(2, timeout=20)
    real_verify = activation.verify_code

    def verify_then_wait(stored: str | None, typed: str | None) -> bool:
        matched = real_verify(stored, typed)
        both_checked.wait()  # both have a valid unused code in hand: now race to spend it
        return matched

    monkeypatch.setattr(activation, "verify_code", verify_then_wait)
    outcomes: list[str] = []

    def use(password: str) -> None:
        with app.app_context():
            try:
                activate(db.session, member_code, code, password, now=T0 + dt.timedelta(hours=1))
                outcomes.append(password)
            except ActivationError as error:
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=use, args=(pw,)) for pw in ("Parallel-one-1",
                                                                  "Parallel-two-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2 and outcomes.count(FAILED) == 1, outcomes
    winner = next(o for o in outcomes if o != FAILED)
    with app.app_context():
        stored = db.session.get(Member, member_id)
        assert stored is not None and stored.auth_version == version + 1
        from learning_app.auth.passwords import verify
        assert verify(stored.password_hash, winner)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "activation_used")) == 1


def test_an_expired_code_is_refused(make_member: MakeMember) -> None:
    late, in_time = make_member(password=None), make_member(password=None)
    late_code, in_time_code = issue_one(late, now=T0), issue_one(in_time, now=T0)
    # Within the 14 days (the default ACTIVATION_DAYS) a code works ...
    activate(db.session, in_time.code, in_time_code, NEW,
             now=T0 + dt.timedelta(days=13, hours=23))
    assert fresh(in_time).password_hash is not None
    # ... a second after them it doesn't.
    with pytest.raises(ActivationError) as refused:
        activate(db.session, late.code, late_code, NEW,
                 now=T0 + dt.timedelta(days=14, seconds=1))
    assert refused.value.message == FAILED
    assert fresh(late).password_hash is None


def test_a_new_code_revokes_the_older_one(make_member: MakeMember) -> None:
    member = make_member(password=None)
    old = issue_one(member, now=T0)
    new = issue_one(member, now=T0 + dt.timedelta(days=1))
    later = T0 + dt.timedelta(days=2)
    with pytest.raises(ActivationError):
        activate(db.session, member.code, old, NEW, now=later)
    activate(db.session, member.code, new, NEW, now=later)
    rows = list(db.session.scalars(select(ActivationCode).order_by(ActivationCode.id)))
    assert [(r.revoked_at is not None, r.used_at is not None) for r in rows] == [
        (True, False), (False, True)]


def test_codes_are_stored_hashed_and_never_logged(make_member: MakeMember, tree: Tree) -> None:
    member = make_member(password=None)
    code = issue_one(member, now=T0).replace(" ", "")
    dump = repr([tuple(row) for row in db.session.execute(select(ActivationCode.__table__))])
    dump += repr([tuple(row) for row in db.session.execute(select(AuditEvent.__table__))])
    assert code not in dump and code[:4] + " " not in dump
    (row,) = db.session.scalars(select(ActivationCode))
    assert row.code_hash.startswith("$argon2id$")
    assert row.expires_at == T0 + dt.timedelta(days=14)


def test_a_wrong_code_gets_one_message_whoever_asks(app: Flask, make_member: MakeMember) -> None:
    """Existing account with a live code, one with an expired code, one without a
    code, and no account at all: the same words, the same page."""
    live = make_member(password=None, phone="13700000001")
    expired = make_member(password=None, phone="13700000002")
    make_member(password=None, phone="13700000003")
    issue_one(live)
    issue_one(expired, now=utcnow() - dt.timedelta(days=15))
    pages = []
    for login_name in ("13700000001", "13700000002", "13700000003", "13799999999"):
        response = post_activate(app.test_client(), login_name, "1234 5678 90")
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert FAILED in text
        pages.append(re.sub(r'value="[^"]*"', "", text.replace(login_name, "LOGIN")))
    assert len(set(pages)) == 1
    failed = events("activation_failed")
    assert len(failed) == 4 and failed[0].target_member_id == live.id
    assert failed[3].target_member_id is None and failed[3].target == "13799999999"


def test_wrong_codes_slow_down_on_the_shared_sign_in_counters(make_member: MakeMember) -> None:
    """Guessing is throttled like sign-in (auth/throttle.py: per account, whatever
    the spelling), slowing down instead of locking the member out."""
    member = make_member(password=None, phone="13700000009")
    code = issue_one(member, now=T0)
    wrong = "0000 0000 00" if code != "0000 0000 00" else "1111 1111 11"
    for login_name in [member.code, "137 0000 0009", member.code.lower()] + [member.code] * (
            MAX_FAILURES - 3):
        with pytest.raises(ActivationError) as refused:
            activate(db.session, login_name, wrong, NEW, now=T0)
        assert refused.value.message == FAILED
    with pytest.raises(ActivationError) as waiting:
        activate(db.session, member.code, code, NEW, now=T0)  # even the right code waits
    assert waiting.value.status == 429 and "请5秒后再试" in waiting.value.message
    assert fresh(member).password_hash is None
    assert "下次须等待5秒" in (events("activation_failed")[-1].detail or "")
    activate(db.session, member.code, code, NEW, now=T0 + dt.timedelta(seconds=6))
    assert fresh(member).password_hash is not None
    assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_the_page_says_when_to_try_again(app: Flask, make_member: MakeMember) -> None:
    member = make_member(password=None)
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        assert post_activate(client, member.code, "0000 0000 01").status_code == 400
    response = post_activate(client, member.code, "0000 0000 01")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "后再试" in response.get_data(as_text=True)


def test_a_weak_password_is_refused_and_the_code_not_spent(client: FlaskClient,
                                                           make_member: MakeMember) -> None:
    member = make_member(password=None, phone="13800138123")
    code = issue_one(member)
    weak = post_activate(client, member.code, code, "13800138123")
    assert weak.status_code == 400 and "不能用手机号作密码" in weak.get_data(as_text=True)
    mismatch = post_activate(client, member.code, code, NEW, "Something-else-1")
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    assert fresh(member).password_hash is None
    assert post_activate(client, member.code, code).status_code == 302


def test_the_page_never_echoes_the_code(client: FlaskClient, make_member: MakeMember) -> None:
    member = make_member(password=None)
    code = issue_one(member)
    page = post_activate(client, member.code, code, "short").get_data(as_text=True)
    assert "密码至少8位" in page and code not in page and code.replace(" ", "") not in page


# ----------------------------------------------------------------- issuing

@pytest.fixture
def branch(client: FlaskClient, make_member: MakeMember) -> dict[str, Member]:
    """A village secretary's branch holding plain members, not-yet-activated ones, and
    the party membership of the county admin (also not activated: the attack)."""
    people = {
        "secretary": make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01", name="村支书"),
        "county": make_member("QC-LQ-01", role="county_admin", scope="QC", password=None,
                              name="县管理员"),
        "peer": make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01", password=None,
                            name="另一管理员"),
        "new1": make_member("QC-LQ-01", password=None, name="王大爷"),
        "new2": make_member("QC-LQ-01", password=None, name="李大娘"),
        "active": make_member("QC-LQ-01", name="已开通"),
        "gone": make_member("QC-LQ-01", password=None, name="已去世", status="deceased"),
        "outside": make_member("QC-LQ-02", password=None, name="石门村党员"),
    }
    people["token"] = login(client, people["secretary"])  # type: ignore[assignment]
    return people


def post_issue(client: FlaskClient, token: str, org_id: int, **form: Any) -> Any:
    return client.post(f"/app/admin/orgs/{org_id}/activation",
                       data={"csrf_token": token, **form})


def slips(html: str) -> list[str]:
    return re.findall(r"<dt>姓名</dt><dd>([^<]+)</dd>", html)


def test_branch_notices_list_only_members_in_scope(client: FlaskClient, tree: Tree,
                                                   branch: dict[str, Any]) -> None:
    org = tree["QC-LQ-01"]
    choose = client.get(f"/app/admin/orgs/{org.id}/activation").get_data(as_text=True)
    assert "王大爷" in choose and "石门村党员" not in choose and "已去世" not in choose
    assert "为全部未开通的党员打印（2 人）" in choose

    response = post_issue(client, branch["token"], org.id, scope="without_password")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert sorted(slips(html)) == ["李大娘", "王大爷"]
    assert "http://localhost/app/activate" in html and "北京时间" in html
    codes = SLIP_CODE.findall(html)
    assert len(codes) == 2
    issued = events("activation_issued")
    assert sorted(e.target_member_id for e in issued) == sorted(
        [branch["new1"].id, branch["new2"].id])
    assert all(e.actor_id == branch["secretary"].id for e in issued)
    # The printed code works for the member it was printed for.
    activate(db.session, branch["new1"].code, codes[slips(html).index("王大爷")], NEW,
             now=utcnow())


def test_a_secretary_cannot_issue_outside_her_subtree_for_higher_accounts_or_herself(
        client: FlaskClient, tree: Tree, branch: dict[str, Any]) -> None:
    token, own = branch["token"], tree["QC-LQ-01"].id
    assert post_issue(client, token, tree["QC-LQ-02"].id,
                      scope="without_password").status_code == 404
    assert client.get(f"/app/admin/orgs/{tree['QC-LQ-02'].id}/activation").status_code == 404
    assert post_issue(client, token, own, member=str(branch["outside"].id)).status_code == 404
    for target in ("county", "peer", "secretary"):
        response = post_issue(client, token, own, member=str(branch[target].id))
        assert response.status_code == 403, target
        assert "不能" in response.get_data(as_text=True)
    # A reset is the other way to a code: refused the same.
    reset = client.post(f"/app/admin/members/{branch['county'].id}/reset-password",
                        data={"csrf_token": token})
    assert reset.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ActivationCode)) == 0
    assert events("activation_issued") == []


def test_a_re_issue_on_request_for_an_activated_member(client: FlaskClient, tree: Tree,
                                                       branch: dict[str, Any]) -> None:
    response = post_issue(client, branch["token"], tree["QC-LQ-01"].id,
                          member=[str(branch["active"].id), str(branch["new1"].id)])
    assert response.status_code == 200
    assert sorted(slips(response.get_data(as_text=True))) == sorted(["王大爷", "已开通"])


def test_a_reset_ends_sessions_and_prints_one_notice(app: Flask, client: FlaskClient,
                                                     branch: dict[str, Any]) -> None:
    member = branch["active"]
    phone = app.test_client()
    login(phone, member)
    # Without ticking "我已核实" nothing happens: one tap never ends a password.
    unconfirmed = client.post(f"/app/admin/members/{member.id}/reset-password",
                              data={"csrf_token": branch["token"]})
    assert unconfirmed.status_code in (303, 400)
    assert phone.get("/app/").status_code == 200 and not events("activation_issued")
    response = client.post(f"/app/admin/members/{member.id}/reset-password",
                           data={"csrf_token": branch["token"], "confirm": "1"})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert slips(html) == ["已开通"] and "原来的密码已作废" in html
    assert phone.get("/app/").status_code == 302  # signed out everywhere
    assert db.session.scalar(select(func.count()).select_from(SignIn).where(
        SignIn.member_id == member.id, SignIn.ended_at.is_(None))) == 0
    assert post_login(app.test_client(), member.code, PASSWORD).status_code == 401
    (code,) = SLIP_CODE.findall(html)
    # The slip's QR code opens the activation page; the code itself is never in it
    # (a scanned URL stays in the phone's history).
    assert "<svg" in html and "手机扫码打开" in html
    qr = html[html.index("<svg"):html.index("</svg>")]
    assert code.replace(" ", "") not in qr
    assert post_activate(app.test_client(), member.code, code).status_code == 302
    (event,) = events("activation_issued")
    assert event.target_member_id == member.id and event.before == {"password": "set"}


def test_a_member_cannot_print_notices(app: Flask, tree: Tree, make_member: MakeMember) -> None:
    client = app.test_client()
    token = login(client, make_member("QC-LQ-01"))
    assert post_issue(client, token, tree["QC-LQ-01"].id,
                      scope="without_password").status_code == 403


def test_the_command_issues_codes_for_members_without_a_password(
        app: Flask, tree: Tree, make_member: MakeMember, tmp_path: Any) -> None:
    waiting = make_member("QC-LQ-01", password=None, name="王大爷")
    make_member("QC-LQ-01", name="已开通")
    make_member("QC-SQ-01", password=None, name="别的乡")
    out = tmp_path / "notices.html"
    result = app.test_cli_runner().invoke(args=[
        "issue-activation", "--org", "QC-LQ", "--all-without-password", "--html", str(out),
        "--url", "https://dj.example.cn"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()[1:] if "\t" in line]
    assert [line[1] for line in lines] == ["王大爷"]
    html = out.read_text(encoding="utf-8")
    assert lines[0][3] in html and "https://dj.example.cn/app/activate" in html
    assert "<style>" in html and ".slip" in html  # readable without the server
    assert os.stat(out).st_mode & 0o077 == 0
    (event,) = events("activation_issued")
    assert event.actor == "命令行" and event.target_member_id == waiting.id
    activate(db.session, waiting.code, lines[0][3], NEW, now=utcnow())
    refused = app.test_cli_runner().invoke(args=["issue-activation", "--org", "QC-LQ"])
    assert refused.exit_code != 0
