"""Apply one heartbeat in one transaction, serialised per member."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from learning_app.domain.reading import BeatInput, account
from learning_app.ledger import award, dialect_insert
from learning_app.models import Article, ReadingClock, ReadingProgress, ReadingView
from learning_app.models.types import local_today


class BeatRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Beat:
    article_id: str
    view_id: str
    seq: int
    resume: bool = False


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def required_ms(article: Article) -> int:
    override = current_app.config.get("READING_REQUIRED_SECONDS_OVERRIDE")
    return 1000 * (override or article.required_seconds)


def record(session: Session, member_id: int, org_id: int | None, beat: Beat,
           at_ms: int | None = None) -> dict[str, object]:
    article = session.get(Article, beat.article_id)
    if article is None or not article.in_manifest or article.published > local_today():
        raise BeatRejected(404, "没有这篇文章，或文章尚未发布")
    if org_id is None:
        raise BeatRejected(403, "党员不在册，不能计入学时")
    session.commit()  # end the read transaction; the next statement writes first
    # Lock the member's clock row: a member's heartbeats run one at a time.
    clock_last = session.execute(
        dialect_insert(session, ReadingClock.__table__)
        .values(member_id=member_id, last_beat_ms=0)
        .on_conflict_do_update(index_elements=["member_id"],
                               set_={"last_beat_ms": ReadingClock.__table__.c.last_beat_ms})
        .returning(ReadingClock.__table__.c.last_beat_ms)).scalar_one()
    now = at_ms if at_ms is not None else now_ms()
    view = session.scalar(select(ReadingView).where(
        ReadingView.member_id == member_id, ReadingView.view_id == beat.view_id))
    if view is not None and view.article_id != article.id:
        session.rollback()
        raise BeatRejected(409, "view_id belongs to another article")
    progress = session.get(ReadingProgress, (member_id, article.id))
    need = required_ms(article)
    outcome = account(BeatInput(
        now_ms=now, seq=beat.seq, resume=beat.resume, view_seen=view is not None,
        view_last_seq=view.last_seq if view else 0, view_last_ms=view.last_beat_ms if view else 0,
        clock_last_ms=clock_last, active_ms=progress.active_ms if progress else 0,
        required_ms=need, credited=progress.credited if progress else False,
        cap_ms=1000 * current_app.config["READING_MAX_CREDIT_SECONDS"]))
    if outcome.accepted:
        if view is None:
            session.add(ReadingView(member_id=member_id, view_id=beat.view_id,
                                    article_id=article.id, last_seq=beat.seq, last_beat_ms=now))
        else:
            view.last_seq, view.last_beat_ms = beat.seq, now
        if progress is None:
            progress = ReadingProgress(member_id=member_id, article_id=article.id,
                                       active_ms=0, first_beat_ms=now, credited=False)
            session.add(progress)
        progress.active_ms = outcome.active_ms
        session.execute(update(ReadingClock).where(ReadingClock.member_id == member_id)
                        .values(last_beat_ms=now))
        if outcome.award:
            award(session, member_id=member_id, org_id=org_id, source_type="reading",
                  source_key=f"reading:{article.id}", hours=article.credit_hours)
            progress.credited = True
    credited = bool(progress and progress.credited)
    result = {
        "accepted": outcome.accepted,
        "active_seconds": (progress.active_ms if progress else 0) // 1000,
        "required_seconds": need // 1000,
        "credited": credited,
        "credit_hours": float(article.credit_hours),
    }
    session.commit()
    return result
