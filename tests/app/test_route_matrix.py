"""Every route × every role, generated from the app's ``url_map``.

``RULES`` says who may use each endpoint. A route added without a line here
fails ``test_every_route_has_a_rule``, so nobody ships an endpoint whose
access was never decided. Each endpoint is then called by an anonymous
visitor and by each role; a role the rule doesn't admit must be refused
(401/403/404, or sent to sign in), and a role it admits must not be.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from learning_app.extensions import db
from learning_app.models import Training
from learning_app.models.types import utcnow
from learning_app.quiz.attempts import start_attempt
from tests.app.conftest import Tree, csrf_from, login
from tests.app.quiz_helpers import ANALYSIS_BANK, ANALYSIS_EXAM, LIVE, load

ROLES = ("anonymous", "member", "editor", "org_admin", "county_admin")
# Who is admitted, by rule.
ADMITS: dict[str, set[str]] = {
    "public": set(ROLES),
    "signed_in": {"member", "editor", "org_admin", "county_admin"},
    "owner": {"member"},  # the member's own attempt: nobody else's, whatever their role
    "editor": {"editor", "county_admin"},
    "admin": {"org_admin", "county_admin"},
    "county_admin": {"county_admin"},
}

RULES: dict[str, str] = {
    "static": "public",
    "site.page": "public",
    "reading.ping": "public",
    "auth.login": "public",
    "auth.logout": "public",  # signing out when signed out is harmless
    "activation.activate_page": "public",
    "auth.change_password": "signed_in",
    "reading.session_info": "signed_in",
    "reading.heartbeat": "signed_in",
    "me.home": "signed_in",
    "quiz_api.tests": "signed_in",
    "quiz_api.start": "signed_in",
    "quiz_api.resume": "owner",
    "quiz_api.answer": "owner",
    "quiz_api.hand_in": "owner",
    "quiz_pages.index": "signed_in",
    "quiz_pages.take": "signed_in",
    "quiz_pages.wrong_book_page": "signed_in",
    "content.index": "editor",
    "content.do_sync": "editor",
    "quiz_admin.analysis_index": "editor",
    "quiz_admin.analysis_show": "editor",
    "quiz_admin.overrides": "admin",
    "quiz_admin.overrides_add": "admin",
    "quiz_admin.overrides_remove": "admin",
    "admin_imports.index": "admin",
    "admin_imports.upload": "admin",
    "admin_imports.template": "admin",
    "admin_members.index": "admin",
    "admin_members.show": "admin",
    "admin_members.do_correction": "admin",
    "admin_members.do_exempt": "admin",
    "admin_members.do_leave": "admin",
    "admin_members.do_reset_password": "admin",
    "admin_members.do_transfer": "admin",
    "admin_orgs.index": "admin",
    "admin_orgs.show": "admin",
    "activation.choose": "admin",
    "activation.issue_notices": "admin",
    "admin_trainings.index": "admin",
    "admin_trainings.show": "admin",
    "admin_trainings.add_attendees": "admin",
    "admin_trainings.new": "admin",
    "reports.dashboard": "admin",
    "reports.export": "admin",
    "reports_api.participation": "admin",
    "audit.index": "county_admin",
    "audit.export": "county_admin",
    # The newsroom: editors and reviewers (the world has no reviewers, so "editor").
    "newsroom.index": "editor",
    "newsroom.new": "editor",
    "newsroom.edit": "editor",
    "newsroom.autosave": "editor",
    "newsroom.preview": "editor",
    "newsroom.submit": "editor",
    "newsroom.upload": "editor",
    "newsroom.media_file": "editor",
    "newsroom.article": "editor",
    "newsroom.decide": "editor",
    "newsroom.review_edit": "editor",
    "newsroom.diff": "editor",
    "newsroom.history": "editor",
    "newsroom.restore": "editor",
    "newsroom.withdraw": "editor",
    "newsroom.recall": "editor",
    "newsroom.freshness": "editor",
    "newsroom.builds": "editor",
    "newsroom.build_status": "editor",
    "newsroom.settings": "county_admin",
    "newsroom.save_levels": "county_admin",
    "newsroom.save_words": "county_admin",
    "newsroom.save_thresholds": "county_admin",
}


def _rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def test_every_route_has_a_rule(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _, _ in _rules(app)} - set(RULES))
    assert not missing, f"routes without an access rule in RULES: {missing}"


def test_no_rule_for_a_route_that_is_gone(app: Flask) -> None:
    stale = sorted(set(RULES) - {endpoint for endpoint, _, _ in _rules(app)})
    assert not stale, f"rules for routes that don't exist: {stale}"


@pytest.fixture
def world(app: Flask, tree: Tree, make_member: Any, tmp_path: Any) -> dict[str, Any]:
    """One account per role, a plain member to act on, a training and an attempt."""
    people = {
        "member": make_member("QC-LQ-01"),
        "editor": make_member("QC-LQ-01", role="editor"),
        "org_admin": make_member("QC-LQ-02", role="org_admin", scope="QC-LQ"),
        "county_admin": make_member("QC-SQ-01", role="county_admin", scope="QC"),
    }
    target = make_member("QC-LQ-01")
    # "live" is open and the member has started it; "again" lets them start more;
    # "over" has closed, so its item analysis is open to editors.
    root = tmp_path / "quizzes"
    (root / "banks").mkdir(parents=True)
    (root / "banks" / "ab.yaml").write_text(yaml.safe_dump(ANALYSIS_BANK, allow_unicode=True),
                                            "utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "over.yaml").write_text(yaml.safe_dump(
        {**ANALYSIS_EXAM, "id": "over", "closes": "2000-02-01T00:00:00+08:00"},
        allow_unicode=True), "utf-8")
    load(root, LIVE, {**LIVE, "id": "again", "attempts": 99})
    attempt = start_attempt(db.session, "live", people["member"], utcnow())
    training = Training(org_id=tree["QC-LQ"].id, kind="party_class", title="党课",
                        held_on=dt.date(2026, 11, 6), hours=2, organizer="龙泉镇党委",
                        created_by=people["county_admin"].id)
    db.session.add(training)
    db.session.commit()
    values = {"member_id": target.id, "org_id": tree["QC-LQ-01"].id,
              "training_id": training.id, "attempt_id": attempt.id, "position": 1,
              "test_id": "live", "kind": "members", "fmt": "csv", "path": "index.html",
              "filename": "app.css"}
    return {"people": people, "values": values}


# Path values that differ by endpoint: a test the member may start again, and a
# closed test whose item analysis no longer gives away a running test's key.
VALUES_FOR: dict[str, dict[str, Any]] = {
    "quiz_api.start": {"test_id": "again"},
    "quiz_admin.analysis_show": {"test_id": "over"},
}


def _url(rule: str, values: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        return str(values.get(name, "1"))
    return re.sub(r"<([^>]+)>", fill, rule)


def _call(client: FlaskClient, method: str, url: str, token: str | None) -> Any:
    if method == "GET":
        return client.get(url)
    headers = {"X-CSRFToken": token} if token else {}
    if url.startswith("/api/"):
        return client.open(url, method=method, json={"response": "A"}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token or ""}, headers=headers)


def _refused(response: Any, rule: str) -> bool:
    if rule == "public":  # signing in and out answer 401 or send to sign in by design
        return response.status_code == 403
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and "/app/login" in location


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_its_rules_admit(app: Flask, world: dict[str, Any],
                                                      role: str) -> None:
    wrong: list[str] = []
    for endpoint, method, rule in _rules(app):
        if endpoint not in RULES:
            continue  # reported by test_every_route_has_a_rule
        client = app.test_client()
        if role == "anonymous":  # a real CSRF token, so the request meets the access check
            token = csrf_from(client.get("/app/login").get_data(as_text=True))
        else:
            token = login(client, world["people"][role])
        url = _url(rule, {**world["values"], **VALUES_FOR.get(endpoint, {})})
        response = _call(client, method, url, token)
        admitted = role in ADMITS[RULES[endpoint]]
        refused = _refused(response, RULES[endpoint])
        if admitted and refused and response.status_code != 404:
            wrong.append(f"{method} {url} ({endpoint}): {role} refused "
                         f"with {response.status_code}")
        if not admitted and not refused:
            wrong.append(f"{method} {url} ({endpoint}): {role} let in "
                         f"with {response.status_code}")
    assert not wrong, "\n".join(wrong)
