"""Save one answer of an open attempt: the exam page's hottest request.

Every examinee saves each answer as it is given, so under a whole county's
exam this path is nearly all the load (bench/exam_surge.py). It is written
as two SQL statements instead of ORM objects and a user load:

1. read the attempt, its member, the member's sign-in (auth/sessions.py: ended or
   expired signs the save out) and the question as presented, locking the
   attempt row against a concurrent submit (``FOR SHARE`` on PostgreSQL;
   ``BEGIN IMMEDIATE`` on SQLite);
2. upsert the answer and commit.

The lock is what makes an acknowledged answer safe: a submit's
``UPDATE … WHERE status = 'open'`` waits for the save to commit and then
grades with it, or the save waits for the submit and finds the attempt
closed. On PostgreSQL the statements go through psycopg's pipeline mode,
two round trips in all.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session, scoped_session

from learning_app.auth.sessions import live
from learning_app.db import begin_write, pg_pipeline, pyformat, real_session, rollback_on_error
from learning_app.errors import Refused
from learning_app.quiz.types import get_type

STATE_SQL = (
    "SELECT a.status, a.deadline_at, m.status AS member_status, m.auth_version, "
    "m.must_change_password, q.presented, {practice} AS practice, "
    "s.expires_at AS session_expires "
    "FROM quiz_attempts a JOIN members m ON m.id = a.member_id "
    "JOIN quiz_tests t ON t.id = a.test_id "
    "LEFT JOIN member_sessions s ON s.id = :sid AND s.member_id = m.id AND s.ended_at IS NULL "
    "LEFT JOIN quiz_attempt_questions q ON q.attempt_id = a.id AND q.position = :pos "
    "WHERE a.id = :aid AND a.member_id = :mid{lock}")
STATE_SQLITE = text(STATE_SQL.format(
    practice="json_extract(t.definition, '$.practice')", lock=""))
STATE_PG = pyformat(STATE_SQL.format(
    practice="(t.definition ->> 'practice')::boolean", lock=" FOR SHARE OF a"))

UPSERT_SQL = (
    "INSERT INTO quiz_attempt_answers (attempt_id, position, response, saved_at) "
    "VALUES (:aid, :pos, :response{cast}, :now) ON CONFLICT (attempt_id, position) "
    "DO UPDATE SET response = excluded.response, saved_at = excluded.saved_at")
UPSERT_SQLITE = text(UPSERT_SQL.format(cast=""))
UPSERT_PG = pyformat(UPSERT_SQL.format(cast="::json"))


@dataclass(frozen=True)
class SaveState:
    """What the save learned about the attempt while holding its lock."""

    status: str
    deadline_at: dt.datetime | None
    member_status: str
    auth_version: str
    must_change_password: bool
    presented: dict[str, Any] | None
    practice: bool
    signed_in: bool = True  # the session's sign-in row is open (or none was asked for)


class SaveRefused(Refused):
    """Nothing was written; ``expired`` asks the caller to finish the attempt."""

    def __init__(self, status: int, message: str, *, expired: bool = False) -> None:
        super().__init__(status, message)
        self.expired = expired


def _as_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite through text()
        return dt.datetime.fromisoformat(value)
    return value


def _state(row: Any, session_id: str | None, now: dt.datetime) -> SaveState:
    presented = row.presented
    if isinstance(presented, str):
        presented = json.loads(presented)
    return SaveState(
        status=row.status, deadline_at=_as_datetime(row.deadline_at),
        member_status=row.member_status, auth_version=str(row.auth_version),
        must_change_password=bool(row.must_change_password), presented=presented,
        practice=bool(row.practice),
        signed_in=session_id is None or live(_as_datetime(row.session_expires), now))


def past_grace(deadline_at: dt.datetime | None, now: dt.datetime, grace: dt.timedelta) -> bool:
    """Whether an attempt with this deadline no longer accepts anything (untimed: never)."""
    return deadline_at is not None and now > deadline_at + grace


def check(state: SaveState | None, response: Any, now: dt.datetime, grace: dt.timedelta,
          auth_version: str | None) -> dict[str, Any]:
    """Why a save is refused, as a ``SaveRefused``; the presented question otherwise.

    Plain function: the rules of an autosave without a database.
    """
    if state is None:
        raise SaveRefused(404, "没有找到这次作答")
    if not state.signed_in or state.member_status != "active" or (
            auth_version is not None and state.auth_version != auth_version):
        raise SaveRefused(401, "请先登录")
    if state.must_change_password:
        raise SaveRefused(403, "请先修改初始密码")
    if state.status != "open":
        raise SaveRefused(409, "本次作答已结束，答案未保存")
    if past_grace(state.deadline_at, now, grace):
        raise SaveRefused(409, "本次作答已结束，答案未保存", expired=True)
    if state.presented is None:
        raise SaveRefused(404, "没有这道题")
    if not get_type(state.presented["type"]).valid_response(state.presented, response):
        raise SaveRefused(400, "答案格式不正确")
    return state.presented


def _lock_and_read_pg(conn: Connection, params: dict[str, Any]) -> Any:
    with pg_pipeline(conn) as raw:
        cursor = raw.cursor(row_factory=namedtuple_row)
        cursor.execute(STATE_PG, params)
    return cursor.fetchone()


def save_response(session: Session | scoped_session[Session], attempt_id: int,
                  member_id: int, position: int, response: Any, now: dt.datetime, *,
                  grace: dt.timedelta, auth_version: str | None = None,
                  session_id: str | None = None) -> SaveState:
    """Store ``response`` for ``position`` (``now`` is naive UTC); SaveRefused if not.

    ``auth_version`` and ``session_id`` are the member's session's: a password
    changed since, or a sign-in ended (signed out) or expired, signs the save
    out, as it does a heartbeat. Without them (commands, tests) neither is checked.
    """
    session = real_session(session)
    params = {"aid": attempt_id, "mid": member_id, "pos": position, "sid": session_id}
    with rollback_on_error(session):
        begin_write(session)  # SQLite: the write lock before the read
        conn = session.connection()
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            row = _lock_and_read_pg(conn, params)
        else:
            row = conn.execute(STATE_SQLITE, params).first()
        state = None if row is None else _state(row, session_id, now)
        check(state, response, now, grace, auth_version)
        assert state is not None
        params.update(response=json.dumps(response, ensure_ascii=False), now=now)
        if postgres:
            with pg_pipeline(conn) as raw:
                raw.execute(UPSERT_PG, params)
                raw.commit()
            session.commit()  # ends SQLAlchemy's view of the transaction
        else:
            conn.execute(UPSERT_SQLITE, params)
            session.commit()
        return state
