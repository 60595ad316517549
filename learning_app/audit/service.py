"""Writing to the audit log.

``record`` adds one event to the caller's session and does not commit: the
event lands in the same transaction as the action it describes, so an event
exists exactly when its action happened. An event with nothing else to
write (a failed sign-in) is committed by its caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert
from sqlalchemy.orm import Session

from learning_app.audit.actions import ACTIONS
from learning_app.models import AuditEvent, Member
from learning_app.models.types import utcnow

COMMAND_LINE = "命令行"


def member_label(member: Member) -> str:
    return f"{member.name}（{member.code}）"


def _current_actor() -> Member | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def client_address() -> str | None:
    """The client address (behind nginx, ProxyFix has already applied X-Forwarded-For)."""
    return request.remote_addr if has_request_context() else None


def _who_when_where(actor: Member | None, actor_label: str | None,
                    at: dt.datetime | None) -> dict[str, Any]:
    """The columns every event of one action shares: who (as named now), when, from where."""
    actor = actor or _current_actor()
    label = actor_label or (member_label(actor) if actor else
                            (COMMAND_LINE if not has_request_context() else "未登录"))
    return {"at": at or utcnow(), "actor_id": actor.id if actor else None,
            "actor": label[:120], "address": client_address() or None}


def _check_actions(actions: set[str]) -> None:
    unknown = actions - set(ACTIONS)
    if unknown:
        raise ValueError(f"unknown audit actions {sorted(unknown)}: add them to audit/actions.py")


def record(session: Session, action: str, *, actor: Member | None = None,
           actor_label: str | None = None, target: Member | None = None,
           target_label: str | None = None, org_id: int | None = None,
           before: Any = None, after: Any = None, detail: str | None = None,
           at: dt.datetime | None = None) -> AuditEvent:
    """Add one event to ``session`` (the caller commits with its own writes).

    The actor defaults to the signed-in member, or "命令行" outside a request;
    ``before``/``after`` are JSON-able dicts of what changed."""
    _check_actions({action})
    label = target_label or (member_label(target) if target else None)
    event = AuditEvent(
        action=action, **_who_when_where(actor, actor_label, at),
        target_member_id=target.id if target else None,
        target=label[:200] if label else None,
        org_id=org_id if org_id is not None else (target.org_id if target else None),
        before=before, after=after, detail=detail[:500] if detail else None)
    session.add(event)
    return event


def record_many(session: Session, events: list[dict[str, Any]], *,
                actor: Member | None = None, at: dt.datetime | None = None) -> None:
    """Many events in one executemany (an import touching thousands of members).

    Each dict has ``action`` and any of ``target_member_id``, ``target``,
    ``org_id``, ``before``, ``after``, ``detail``; who, when and from where are
    the same for all, as ``record`` would set them."""
    if not events:
        return
    _check_actions({event["action"] for event in events})
    common = _who_when_where(actor, None, at)
    rows = [{"target_member_id": None, "target": None, "org_id": None, "before": None,
             "after": None, "detail": None, **common, **event} for event in events]
    for row in rows:
        row["target"] = row["target"][:200] if row["target"] else None
        row["detail"] = row["detail"][:500] if row["detail"] else None
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditEvent.__table__), rows[start:start + 5000])
