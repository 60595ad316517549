"""Every admin page and query stays inside the admin's organization subtree."""

from __future__ import annotations

import datetime as dt

import pytest

from learning_app.extensions import db
from learning_app.models import Training
from tests.app.conftest import csrf_from, login


@pytest.fixture
def setup(client, make_member, tree):
    admin = make_member("QC-LQ-01", role="org_admin", scope="QC-LQ", name="龙泉管理员")
    inside = make_member("QC-LQ-02", name="龙泉党员")
    outside = make_member("QC-SQ-01", name="石桥党员")
    training_out = Training(title="石桥党课", kind="party_lecture", held_on=dt.date(2026, 10, 8),
                            hours=2, organizer="石桥乡党委", org_id=tree["QC-SQ"].id,
                            created_by=admin.id)
    db.session.add(training_out)
    db.session.commit()
    login(client, admin)
    return {"admin": admin, "inside": inside, "outside": outside, "tree": tree,
            "training_out": training_out}


def test_org_pages(client, setup) -> None:
    tree = setup["tree"]
    home = client.get("/app/admin/orgs/").get_data(as_text=True)
    assert "龙泉镇党委" in home and "杨柳湾村党支部" in home and "石桥乡党委" not in home
    assert client.get(f"/app/admin/orgs/{tree['QC-LQ-02'].id}").status_code == 200
    for code in ("QC", "QC-SQ", "QC-SQ-01", "QC-D-RS"):
        assert client.get(f"/app/admin/orgs/{tree[code].id}").status_code == 404


def test_member_pages(client, setup) -> None:
    listing = client.get("/app/admin/members/").get_data(as_text=True)
    assert "龙泉党员" in listing and "石桥党员" not in listing
    found = client.get(f"/app/admin/members/?q={setup['outside'].code}").get_data(as_text=True)
    assert "共 0 人" in found
    other_org = setup["tree"]["QC-SQ"].id
    assert client.get(f"/app/admin/members/?org={other_org}").status_code == 404
    assert client.get(f"/app/admin/members/{setup['inside'].id}").status_code == 200
    assert client.get(f"/app/admin/members/{setup['outside'].id}").status_code == 404


@pytest.mark.parametrize("action", ["transfer", "leave", "exempt", "reset-password",
                                    "correction"])
def test_member_actions_outside_scope_are_404(client, setup, action) -> None:
    token = csrf_from(client.get("/app/admin/members/").get_data(as_text=True))
    response = client.post(f"/app/admin/members/{setup['outside'].id}/{action}", data={
        "csrf_token": token, "org_code": "QC-LQ-01", "on": "2026-11-01", "status": "deceased",
        "reason": "年老体弱", "hours": "1", "note": "x"})
    assert response.status_code == 404


def test_transfer_into_another_subtree_is_refused(client, setup) -> None:
    token = csrf_from(client.get("/app/admin/members/").get_data(as_text=True))
    response = client.post(f"/app/admin/members/{setup['inside'].id}/transfer", data={
        "csrf_token": token, "org_code": "QC-SQ-01", "on": "2026-11-01"})
    assert response.status_code == 404


def test_training_pages(client, setup) -> None:
    assert "石桥党课" not in client.get("/app/admin/trainings/").get_data(as_text=True)
    training_id = setup["training_out"].id
    assert client.get(f"/app/admin/trainings/{training_id}").status_code == 404
    token = csrf_from(client.get("/app/admin/trainings/new").get_data(as_text=True))
    assert client.post(f"/app/admin/trainings/{training_id}/attendees", data={
        "csrf_token": token, "codes": setup["inside"].code}).status_code == 404
    refused = client.post("/app/admin/trainings/new", data={
        "csrf_token": token, "title": "越界培训", "kind": "special", "held_on": "2026-11-02",
        "hours": "2", "organizer": "x", "org_code": "QC-SQ"})
    assert "组织：编码不在您管理的范围内" in refused.get_data(as_text=True)
    assert db.session.query(Training).filter_by(title="越界培训").count() == 0


def test_attendees_outside_scope_reject_the_whole_list(client, setup) -> None:
    token = csrf_from(client.get("/app/admin/trainings/new").get_data(as_text=True))
    created = client.post("/app/admin/trainings/new", data={
        "csrf_token": token, "title": "龙泉党课", "kind": "party_lecture",
        "held_on": "2026-11-02", "hours": "2", "organizer": "龙泉镇党委", "org_code": "QC-LQ"})
    training_path = created.location
    response = client.post(training_path + "/attendees", data={
        "csrf_token": token, "codes": f"{setup['inside'].code}\n{setup['outside'].code}"},
        follow_redirects=True)
    text = response.get_data(as_text=True)
    assert setup["outside"].code in text and "未登记任何人" in text
    assert "已登记 0 人" in text


def test_members_and_editors_get_no_admin_pages(client, make_member) -> None:
    member = make_member()
    login(client, member)
    for path in ("/app/admin/orgs/", "/app/admin/members/", "/app/admin/trainings/",
                 "/app/content/"):
        assert client.get(path).status_code == 403, path


def test_editor_sees_content_but_not_members(app, make_member) -> None:
    client = app.test_client()
    login(client, make_member(role="editor"))
    assert client.get("/app/content/").status_code == 200
    assert client.get("/app/admin/members/").status_code == 403


def test_county_admin_sees_everything(app, make_member, tree) -> None:
    client = app.test_client()
    login(client, make_member(role="county_admin", scope="QC"))
    make_member("QC-SQ-02", name="白果村党员")
    assert "白果村党员" in client.get("/app/admin/members/").get_data(as_text=True)
    assert client.get(f"/app/admin/orgs/{tree['QC-D-RS'].id}").status_code == 200
