"""Apply one heartbeat in one short transaction, serialised per member.

This is the hottest path of the app (every reader, every 15 s), so it is
written as four SQL statements rather than ORM objects (bench/heartbeat.py
measured 6-7 ms of CPU per heartbeat with the ORM, 2.5 ms like this):

1. lock the member's clock row (an upsert, so on SQLite the transaction's
   first statement writes and takes the write lock at once);
2. read member, sign-in (auth/sessions.py: ended or expired signs the beat
   out), article, view and progress in one SELECT, *after* the lock, so a
   concurrent heartbeat's writes are visible;
3. write view, progress and clock (one statement on PostgreSQL);
4. commit; plus the ledger insert when the article's credit is earned.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from flask import current_app
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from learning_app.auth.sessions import live
from learning_app.credits.ledger import award
from learning_app.credits.sources import source_key
from learning_app.db import pg_pipeline, pyformat, real_session, rollback_on_error
from learning_app.errors import Refused
from learning_app.models.types import local_today
from learning_app.reading.rules import BeatInput, BeatState, account, check


@dataclass(frozen=True)
class Beat:
    article_id: str
    view_id: str
    seq: int
    resume: bool = False


LOCK = text(
    "INSERT INTO reading_clocks (member_id, last_beat_ms) VALUES (:m, 0) "
    "ON CONFLICT (member_id) DO UPDATE SET last_beat_ms = reading_clocks.last_beat_ms "
    "RETURNING last_beat_ms")
STATE = text(
    "SELECT m.org_id, m.status, m.auth_version, m.must_change_password, "
    "a.id AS article, a.in_manifest, a.published, a.required_seconds, a.credit_hours, "
    "v.id AS view_row, v.article_id AS view_article, v.last_seq, v.last_beat_ms, "
    "p.active_ms, p.credited, s.expires_at AS session_expires "
    "FROM members m LEFT JOIN articles a ON a.id = :a "
    "LEFT JOIN member_sessions s ON s.id = :sid AND s.member_id = m.id AND s.ended_at IS NULL "
    "LEFT JOIN reading_views v ON v.member_id = m.id AND v.view_id = :v "
    "LEFT JOIN reading_progress p ON p.member_id = m.id AND p.article_id = :a "
    "WHERE m.id = :m")
VIEW_UPSERT = (
    "INSERT INTO reading_views (member_id, view_id, article_id, last_seq, last_beat_ms) "
    "VALUES (:m, :v, :a, :seq, :now) ON CONFLICT (member_id, view_id) DO UPDATE "
    "SET last_seq = excluded.last_seq, last_beat_ms = excluded.last_beat_ms")
PROGRESS_UPSERT = (
    "INSERT INTO reading_progress (member_id, article_id, active_ms, first_beat_ms, credited) "
    "VALUES (:m, :a, :active, :now, :credited) ON CONFLICT (member_id, article_id) DO UPDATE "
    "SET active_ms = excluded.active_ms, credited = excluded.credited")
CLOCK_UPDATE = "UPDATE reading_clocks SET last_beat_ms = :now WHERE member_id = :m"
WRITES_SQLITE = [text(VIEW_UPSERT), text(PROGRESS_UPSERT), text(CLOCK_UPDATE)]


# On PostgreSQL the statements go through psycopg's pipeline mode: BEGIN, lock
# and read in one network round trip, then writes and COMMIT in another (five
# round trips otherwise). The server still runs them in order, so the read's
# snapshot is taken after the lock is granted.
PG_LOCK = pyformat(str(LOCK))
PG_STATE = pyformat(str(STATE))
PG_WRITES = pyformat(f"WITH v AS ({VIEW_UPSERT} RETURNING 1), "
                     f"p AS ({PROGRESS_UPSERT} RETURNING 1) {CLOCK_UPDATE}")


def _lock_and_read_pipelined(conn: Connection, params: dict[str, object]) -> tuple[int, Any]:
    with pg_pipeline(conn) as raw:
        # A plain heartbeat is worth seconds of reading time: not waiting for
        # the WAL flush may lose the last fraction of a second of them in a
        # server crash, never consistency, and frees the worker sooner
        # (bench/heartbeat.py: p99 104 -> 79 ms). A commit that awards credit
        # switches back to a durable commit (see _write_and_commit_pipelined).
        raw.execute("SET LOCAL synchronous_commit TO OFF")
        lock = raw.cursor()
        lock.execute(PG_LOCK, params)
        state = raw.cursor(row_factory=namedtuple_row)
        state.execute(PG_STATE, params)
    clock = lock.fetchone()
    row = state.fetchone()
    assert clock is not None and row is not None
    return int(clock[0]), row


def _write_and_commit_pipelined(conn: Connection, params: dict[str, object], *,
                                durable: bool) -> None:
    with pg_pipeline(conn) as raw:
        if durable:
            # Earned credit is never lost: this commit waits for the WAL flush.
            raw.execute("SET LOCAL synchronous_commit TO ON")
        raw.execute(PG_WRITES, params)
        raw.commit()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite text()


def _as_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _utc(ms: int) -> dt.datetime:
    """Epoch milliseconds as naive UTC (the sign-in rows' clock)."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


def record(session: Session | scoped_session[Session], member_id: int, beat: Beat, *,
           auth_version: str | None = None, session_id: str | None = None,
           at_ms: int | None = None) -> dict[str, object]:
    """Account one heartbeat; raises ``Refused`` (nothing written) when refused.

    ``auth_version`` and ``session_id`` are the member's session's: a password
    change since then, or the sign-in ended (signed out) or expired, signs the
    heartbeat out. Without them (commands, tests) neither is checked.
    """
    session = real_session(session)
    with rollback_on_error(session):
        return _record(session, member_id, beat, auth_version, session_id, at_ms)


def _record(session: Session, member_id: int, beat: Beat, auth_version: str | None,
            session_id: str | None, at_ms: int | None) -> dict[str, object]:
    if session.in_transaction():
        session.commit()  # the lock below must be the transaction's first statement
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    state_params = {"m": member_id, "a": beat.article_id, "v": beat.view_id, "sid": session_id}
    try:
        if postgres:
            clock_last, row = _lock_and_read_pipelined(conn, state_params)
        else:
            clock_last = conn.execute(LOCK, {"m": member_id}).scalar_one()
            row = conn.execute(STATE, state_params).one()
    except (IntegrityError, psycopg.errors.ForeignKeyViolation):  # no such member
        raise Refused(401, "请先登录") from None
    now = at_ms if at_ms is not None else now_ms()
    if session_id is not None and not live(_as_datetime(row.session_expires), _utc(now)):
        raise Refused(401, "请先登录")  # signed out, or the sign-in expired
    check(BeatState(
        member_status=row.status, auth_version=str(row.auth_version),
        must_change_password=bool(row.must_change_password), org_id=row.org_id,
        article=row.article, in_manifest=bool(row.in_manifest),
        published=_as_date(row.published) if row.published is not None else None,
        view_seen=row.view_row is not None, view_article=row.view_article),
        auth_version, local_today())
    override = current_app.config.get("READING_REQUIRED_SECONDS_OVERRIDE")
    need = 1000 * (override or row.required_seconds)
    seen = row.view_row is not None
    outcome = account(BeatInput(
        now_ms=now, seq=beat.seq, resume=beat.resume, view_seen=seen,
        view_last_seq=row.last_seq if seen else 0, view_last_ms=row.last_beat_ms if seen else 0,
        clock_last_ms=clock_last, active_ms=row.active_ms or 0, required_ms=need,
        credited=bool(row.credited),
        cap_ms=1000 * current_app.config["READING_MAX_CREDIT_SECONDS"]))
    hours = Decimal(str(row.credit_hours))
    credited = bool(row.credited) or outcome.award
    if outcome.accepted:
        if outcome.award:
            award(session, member_id=member_id, org_id=row.org_id, source_type="reading",
                  source_key=source_key("reading", row.article), hours=hours)
        params = {"m": member_id, "v": beat.view_id, "a": row.article, "seq": beat.seq,
                  "now": now, "active": outcome.active_ms, "credited": credited}
        if postgres:
            _write_and_commit_pipelined(conn, params, durable=outcome.award)
        else:
            for statement in WRITES_SQLITE:
                conn.execute(statement, params)
    session.commit()
    return {"accepted": outcome.accepted, "active_seconds": outcome.active_ms // 1000,
            "required_seconds": need // 1000, "credited": credited,
            "credit_hours": float(hours)}
