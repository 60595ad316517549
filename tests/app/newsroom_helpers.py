"""Shared by the newsroom's page tests: a signed-in browser per person, the page's
visible text, a job runner that queues builds without running them, and an
article moved along the workflow through the service.

The people (``Desk``) and the tmp content layout come from the service and
publishing tests' fixtures (``desk``, ``layout``), imported where used.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from learning_app.extensions import db
from learning_app.models import Member, NewsArticle, NewsRevision
from learning_app.newsroom import jobs, service
from tests.app.conftest import login

# 10:00 in Beijing on 2027-03-10: the injected clock of the page tests (the suite
# runs a year ahead under faketime; nothing here reads the calendar).
T0 = dt.datetime(2027, 3, 10, 2, 0)
STATE_KEYS = ("draft", "in_review", "returned", "approved", "scheduled", "published",
              "withdrawn")


class Browser:
    """One signed-in person: their client and CSRF token."""

    def __init__(self, app: Flask, member: Member) -> None:
        self.member = member
        self.client: FlaskClient = app.test_client()
        self.token = login(self.client, member)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


def page_text(page: str) -> str:
    """What a reader sees: the page without its tags, attributes and hidden parts."""
    body = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


def near(page: str, element_id: str, message: str, within: int = 600) -> bool:
    """Whether ``message`` is shown within ``within`` characters after the element
    with ``element_id`` (an error next to its field)."""
    start = page.find(f'id="{element_id}"')
    return start >= 0 and message in page[start:start + within]


@pytest.fixture
def queued_builds(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[jobs.Jobs]:
    """The app's job runner on the injected clock, queueing builds but running none
    (the publishing tests run real builds; these look at the pages)."""
    runner = jobs.make_jobs(app, immediate=True, clock=lambda: T0)
    monkeypatch.setattr(runner, "build", lambda: None)
    monkeypatch.setitem(app.extensions, jobs.EXTENSION, runner)
    yield runner


def revision_id(article: NewsArticle | int) -> int:
    pk = article if isinstance(article, int) else article.id
    db.session.expire_all()
    found = db.session.get(NewsArticle, pk)
    assert found is not None and found.current_revision_id is not None
    return found.current_revision_id


def reloaded(article: NewsArticle | int) -> NewsArticle:
    pk = article if isinstance(article, int) else article.id
    db.session.expire_all()
    found = db.session.get(NewsArticle, pk)
    assert found is not None
    return found


def mark_live(article: NewsArticle, now: dt.datetime) -> NewsArticle:
    """What the runner does once a build serves the signed text."""
    found = reloaded(article)
    revision = db.session.get(NewsRevision, found.current_revision_id)
    assert revision is not None
    return service.mark_published(db.session, found, revision, now)


def race(app: Flask, member_ids: list[int], act: Any) -> list[str]:
    """``act(member)`` by each member at once, each in its own thread and session,
    released together: "ok" or the refusal's status per member, in finishing order."""
    import threading

    from learning_app.errors import Refused

    start = threading.Barrier(len(member_ids), timeout=20)
    outcomes: list[str] = []

    def decide(member_id: int) -> None:
        with app.app_context():
            try:
                member = db.session.get(Member, member_id)
                start.wait()
                act(member)
                outcomes.append("ok")
            except Refused as error:
                outcomes.append(str(error.status))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(pk,)) for pk in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes
