"""Nobody manages an account that ranks as high as their own, nor their own record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learning_app.auth.roles import manage_refusal
from learning_app.extensions import db
from learning_app.models import CreditEntry, Member
from tests.app.conftest import csrf_from, login

ACTIONS = {
    "reset-password": {},
    "exempt": {"reason": "年老体弱"},
    "correction": {"hours": "5", "note": "补记"},
    "transfer": {"org_code": "QC-LQ-02", "on": "2026-11-01"},
    "leave": {"status": "transferred", "on": "2026-11-01"},
}


@pytest.fixture
def branch(client, make_member):
    """A village secretary (org admin of her branch) whose branch also holds the
    party membership of the county admin and of another org admin."""
    secretary = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01", name="村支书")
    county = make_member("QC-LQ-01", role="county_admin", scope="QC", name="县管理员")
    peer = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ-01", name="另一管理员")
    editor = make_member("QC-LQ-01", role="editor", name="宣传编辑")
    plain = make_member("QC-LQ-01", name="普通党员")
    login(client, secretary)
    return {"secretary": secretary, "county": county, "peer": peer, "editor": editor,
            "plain": plain}


def post(client, member: Member, action: str, **headers: str):
    token = csrf_from(client.get("/app/admin/members/").get_data(as_text=True))
    return client.post(f"/app/admin/members/{member.id}/{action}",
                       data={"csrf_token": token, **ACTIONS[action]}, headers=headers)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("target", ["county", "peer", "secretary"])
def test_no_action_on_a_higher_or_equal_account_or_ones_own(client, branch, action,
                                                            target) -> None:
    member = branch[target]
    before = (member.password_hash, member.exempt, member.org_id, member.status,
              member.auth_version)
    response = post(client, member, action)
    assert response.status_code == 403
    assert "不能" in response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(Member, member.id)
    assert (again.password_hash, again.exempt, again.org_id, again.status,
            again.auth_version) == before
    assert db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.member_id == member.id)) == 0


def test_the_county_admin_cannot_be_taken_over_through_a_reset(client, branch) -> None:
    """The reported attack: reset, then sign in with the initial password."""
    response = post(client, branch["county"], "reset-password")
    assert response.status_code == 403
    db.session.expire_all()
    county = db.session.get(Member, branch["county"].id)
    assert county.password_hash is not None and county.must_change_password is False


@pytest.mark.parametrize("target", ["plain", "editor"])
def test_lower_accounts_are_still_managed(client, branch, target) -> None:
    response = post(client, branch[target], "exempt")
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Member, branch[target].id).exempt is True


def test_a_refusal_on_a_form_comes_back_to_it_with_the_message(client, branch) -> None:
    page = f"http://localhost/app/admin/members/{branch['county'].id}"
    response = post(client, branch["county"], "exempt", Referer=page)
    assert response.status_code == 303 and response.headers["Location"] == page
    shown = client.get(page).get_data(as_text=True)
    assert "权限不低于您" in shown


def test_a_refusal_never_redirects_off_the_app(client, branch) -> None:
    response = post(client, branch["county"], "exempt", Referer="https://evil.example/app/")
    assert response.status_code == 403


def test_the_rule_as_a_plain_function() -> None:
    assert manage_refusal(1, "org_admin", 1, "member") is not None  # one's own record
    assert manage_refusal(1, "org_admin", 2, "county_admin") is not None
    assert manage_refusal(1, "org_admin", 2, "org_admin") is not None
    assert manage_refusal(1, "org_admin", 2, "editor") is None
    assert manage_refusal(1, "county_admin", 2, "org_admin") is None
    assert manage_refusal(1, "county_admin", 2, "county_admin") is not None
    assert manage_refusal(1, "org_admin", 2, "no-such-role") is None  # a stale row ranks lowest
