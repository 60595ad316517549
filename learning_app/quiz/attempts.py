"""Attempts (DESIGN.md, contract 4): start, autosave, submit, expire, review.

The server owns the clock: every function takes ``now`` (naive UTC) so that
callers and tests decide the moment. An attempt pins the question versions it
drew and stores each question as presented (option order included), so a bank
edited mid-window never changes a running attempt. Submitting is a
conditional ``UPDATE … WHERE status = 'open'``: of any number of parallel
submits exactly one grades, and the ledger is written by that one only.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learning_app.audit.service import record
from learning_app.auth.roles import manage_refusal
from learning_app.credits.ledger import award, org_on
from learning_app.credits.sources import source_key
from learning_app.db import begin_write
from learning_app.errors import Refused
from learning_app.models import (
    Attempt,
    AttemptQuestion,
    Member,
    Organization,
    QuestionVersion,
    QuizBank,
    QuizTest,
    TestOverride,
    TestOverrideChange,
)
from learning_app.models.types import TZ, local_date, utcnow
from learning_app.quiz.autosave import SaveRefused, past_grace, save_response
from learning_app.quiz.definitions import TestDefinition
from learning_app.quiz.grading import (
    graded_fraction,
    passes,
    points,
    questions_of,
    regrade_rules,
    responses_of,
    score_attempt,
)
from learning_app.quiz.types import get_type

GRACE = dt.timedelta(seconds=60)
MAX_EXTRA = 10_000  # minutes or attempts: a week of minutes, and beyond any column's reach


# -- the test's rules, for one member ---------------------------------------------

def to_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """Naive UTC from an aware datetime (a naive one is taken as Asia/Shanghai)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def definition(test: QuizTest) -> TestDefinition:
    return TestDefinition.model_validate(test.definition)


def override_for(session: Session, test_id: str, member_id: int) -> TestOverride | None:
    return session.scalar(select(TestOverride).where(
        TestOverride.test_id == test_id, TestOverride.member_id == member_id))


@dataclass(frozen=True)
class Rules:
    """A test's window, limit and attempts as they apply to one member (naive UTC)."""

    practice: bool
    opens: dt.datetime | None
    closes: dt.datetime | None
    minutes: int | None
    attempts: int | None  # None: unlimited

    def window_problem(self, now: dt.datetime) -> Refused | None:
        if self.opens is not None and now < self.opens:
            return Refused(403, "测试尚未开始")
        if self.closes is not None and now >= self.closes:
            return Refused(403, "测试已结束")
        return None


def rules_for(test: TestDefinition, override: TestOverride | None) -> Rules:
    if test.practice:  # untimed, unlimited, always open
        return Rules(True, None, None, None, None)
    extra_minutes = override.extra_minutes if override else 0
    extra_attempts = override.extra_attempts if override else 0
    opens = (override.opens_at if override and override.opens_at else to_utc(test.opens))
    closes = (override.closes_at if override and override.closes_at else to_utc(test.closes))
    minutes = test.time_limit_minutes + extra_minutes if test.time_limit_minutes else None
    attempts = test.attempts + extra_attempts if test.attempts else None
    return Rules(False, opens, closes, minutes, attempts)


def in_audience(session: Session, test: TestDefinition, member: Member) -> bool:
    """``all``, or the member's organization is one of the codes or below one."""
    if test.audience == "all":
        return True
    if member.org_id is None:
        return False
    org = session.get(Organization, member.org_id)
    if org is None:
        return False
    paths = session.scalars(select(Organization.path).where(
        Organization.code.in_(list(test.audience)))).all()
    return any(org.path.startswith(path) for path in paths)


# -- bank visibility: a running test's banks stay sealed -------------------------

SEALED = "本题库正用于进行中的测试，测试结束后才能练习或查看其答案"


def running(session: Session, test_row: QuizTest, now: dt.datetime) -> bool:
    """A test is running from the earliest opening to the latest closing of anyone's
    window (overrides included), as ``review_allowed`` waits for the latest close:
    a member whose own window has closed must not pass keys to one still answering."""
    test = definition(test_row)
    if test.practice:
        return False
    overrides = session.scalars(select(TestOverride).where(TestOverride.test_id == test_row.id))
    windows = [rules_for(test, None), *(rules_for(test, o) for o in overrides)]
    opens = [w.opens for w in windows]
    closes = [w.closes for w in windows]
    started = any(o is None for o in opens) or now >= min(o for o in opens if o is not None)
    ended = all(c is not None for c in closes) and now >= max(c for c in closes if c)
    return started and not ended


def sealed_banks(session: Session, member: Member, now: dt.datetime) -> set[str]:
    """Banks that a running test in this member's audience draws from.

    None of their questions, keys or explanations reach the member meanwhile
    (contract 4, bank visibility): not by practice, the wrong book or item
    analysis. The loader keeps practice and test banks apart; this is the same
    rule at run time, for data loaded before the loader enforced it.
    """
    sealed: set[str] = set()
    for test_row in session.scalars(select(QuizTest).order_by(QuizTest.id)):
        test = definition(test_row)
        if test.practice or not running(session, test_row, now):
            continue
        if in_audience(session, test, member):
            sealed |= {section.bank for section in test.sections}
    return sealed


def check_attempt_visible(session: Session, attempt: Attempt, now: dt.datetime) -> None:
    """A practice attempt shows keys at once: refuse it while a test uses its banks.
    (A test's own attempt is governed by its ``review`` setting instead.)"""
    if not definition(session.get_one(QuizTest, attempt.test_id)).practice:
        return
    check_practice_visible(session, attempt_banks(session, attempt.id),
                           session.get_one(Member, attempt.member_id), now)


def attempt_banks(session: Session, attempt_id: int) -> set[str]:
    """The banks an attempt's pinned question versions come from."""
    return set(session.scalars(
        select(QuestionVersion.bank_id).distinct()
        .join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)
        .where(AttemptQuestion.attempt_id == attempt_id)))


def check_practice_visible(session: Session, banks: set[str], member: Member,
                           now: dt.datetime) -> None:
    """Refuse a practice set's questions or feedback while a bank of theirs is sealed."""
    if banks & sealed_banks(session, member, now):
        raise Refused(403, SEALED)


def override_values(row: TestOverride | TestOverrideChange) -> dict[str, Any]:
    """An override's settings as the audit log keeps them (times in Beijing time)."""
    def local(moment: dt.datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.replace(tzinfo=dt.UTC).astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    return {"extra_minutes": row.extra_minutes, "extra_attempts": row.extra_attempts,
            "opens_at": local(row.opens_at), "closes_at": local(row.closes_at),
            "reason": row.reason}


def _override_actor(session: Session, actor_id: int | None, member: Member) -> Member | None:
    """The admin acting, held to ``roles.manage_refusal``: nobody overrides their own
    test, nor that of an account ranked as high as theirs."""
    actor = session.get(Member, actor_id) if actor_id is not None else None
    if actor is not None:
        refusal = manage_refusal(actor.id, actor.role, member.id, member.role)
        if refusal is not None:
            raise Refused(403, refusal)
    return actor


def add_override(session: Session, *, test_id: str, member_id: int, reason: str,
                 extra_minutes: int = 0, extra_attempts: int = 0,
                 opens_at: dt.datetime | None = None, closes_at: dt.datetime | None = None,
                 created_by: int | None = None, now: dt.datetime | None = None
                 ) -> TestOverride:
    """Set (or replace) a member's override; a reason is required. The current row
    is updated in place; ``TestOverrideChange`` keeps every version, and the audit
    log the change."""
    if not reason or not reason.strip():
        raise Refused(400, "请填写调整原因")
    if extra_minutes < 0 or extra_attempts < 0:
        raise Refused(400, "延长时间和增加次数不能为负数")
    if extra_minutes > MAX_EXTRA or extra_attempts > MAX_EXTRA:
        raise Refused(400, f"延长时间和增加次数不能超过 {MAX_EXTRA}")
    member = session.get(Member, member_id)
    if member is None:
        raise Refused(404, "没有这个党员")
    actor = _override_actor(session, created_by, member)
    test = session.get(QuizTest, test_id)
    row = override_for(session, test_id, member_id)
    before = override_values(row) if row is not None else None
    if row is None:
        row = TestOverride(test_id=test_id, member_id=member_id)
        session.add(row)
    row.reason, row.extra_minutes = reason.strip()[:200], extra_minutes
    row.extra_attempts = extra_attempts
    row.opens_at, row.closes_at, row.created_by = to_utc(opens_at), to_utc(closes_at), created_by
    if now is not None:
        row.created_at = now
    session.add(TestOverrideChange(
        test_id=test_id, member_id=member_id, change="set", extra_minutes=row.extra_minutes,
        extra_attempts=row.extra_attempts, opens_at=row.opens_at, closes_at=row.closes_at,
        reason=row.reason, changed_by=created_by, changed_at=now or utcnow()))
    record(session, "override", actor=actor, target=member, before=before,
           after={"test": test.title if test else test_id, **override_values(row)},
           detail=f"测试：{test.title if test else test_id}", at=now)
    session.commit()
    return row


def remove_override(session: Session, override: TestOverride, *, reason: str,
                    removed_by: int | None = None, now: dt.datetime | None = None) -> None:
    """Take a member's override away; the history keeps what it was, and why it went."""
    if not reason or not reason.strip():
        raise Refused(400, "请填写取消原因")
    member = session.get_one(Member, override.member_id)
    actor = _override_actor(session, removed_by, member)
    test = session.get(QuizTest, override.test_id)
    title = test.title if test else override.test_id
    before = {"test": title, **override_values(override)}
    session.add(TestOverrideChange(
        test_id=override.test_id, member_id=override.member_id, change="removed",
        extra_minutes=override.extra_minutes, extra_attempts=override.extra_attempts,
        opens_at=override.opens_at, closes_at=override.closes_at,
        reason=reason.strip()[:200], changed_by=removed_by, changed_at=now or utcnow()))
    record(session, "override_removed", actor=actor, target=member, before=before,
           detail=f"测试：{title}；取消原因：{reason.strip()[:200]}", at=now)
    session.delete(override)
    session.commit()


# -- drawing questions ------------------------------------------------------------

def current_versions(session: Session, bank_id: str) -> list[QuestionVersion]:
    """The bank's questions at their current versions, in question-id order."""
    bank = session.get(QuizBank, bank_id)
    if bank is None:
        raise Refused(409, f"题库 {bank_id} 尚未导入")
    wanted = {(q["id"], q["hash"]) for q in bank.definition.get("questions", [])}
    rows = session.scalars(select(QuestionVersion).where(
        QuestionVersion.question_id.in_([qid for qid, _ in wanted]))).all()
    return sorted((row for row in rows if (row.question_id, row.content_hash) in wanted),
                  key=lambda row: row.question_id)


def seen_questions(session: Session, test_id: str, member_id: int) -> set[str]:
    return set(session.scalars(
        select(QuestionVersion.question_id)
        .join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.test_id == test_id, Attempt.member_id == member_id)))


def draw(session: Session, test: TestDefinition, seed: int, seen: set[str]
         ) -> list[tuple[QuestionVersion, Decimal, dict[str, Any]]]:
    """Questions per section, deterministic for ``seed`` (and ``seen``).

    Unseen questions come first, each group in a seeded random order; option
    order is shuffled per question by its type. Returns (version, points,
    presented) in the order shown.
    """
    rng = random.Random(seed)
    chosen: list[tuple[QuestionVersion, Decimal, dict[str, Any]]] = []
    taken: set[str] = set()
    banks: dict[str, list[QuestionVersion]] = {}  # sections often share a bank: read it once
    for section in test.sections:
        if section.bank not in banks:
            banks[section.bank] = current_versions(session, section.bank)
        candidates = [v for v in banks[section.bank]
                      if v.question_id not in taken
                      and (section.types is None or v.data["type"] in section.types)
                      and (section.tags is None
                           or set(section.tags) & set(v.data.get("tags") or []))]
        fresh = [v for v in candidates if v.question_id not in seen]
        again = [v for v in candidates if v.question_id in seen]
        rng.shuffle(fresh)
        rng.shuffle(again)
        picked = (fresh + again)[:section.count]
        if len(picked) < section.count:
            raise Refused(409, f"题库 {section.bank} 的题目不足")
        for version in picked:
            taken.add(version.question_id)
            question = {**version.data, "id": version.question_id}
            kind = get_type(question["type"])
            presented = kind.render(question, kind.shuffle(question, rng))
            presented["type_label"] = kind.label
            chosen.append((version, Decimal(str(section.points)), presented))
    return chosen


# -- starting and resuming ------------------------------------------------------------

def open_attempt(session: Session, test_id: str, member_id: int) -> Attempt | None:
    return session.scalar(select(Attempt).where(
        Attempt.test_id == test_id, Attempt.member_id == member_id, Attempt.status == "open"
    ).order_by(Attempt.number.desc()).limit(1))


def attempts_used(session: Session, test_id: str, member_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.test_id == test_id, Attempt.member_id == member_id)) or 0


def start_attempt(session: Session, test_id: str, member: Member, now: dt.datetime,
                  seed: int | None = None) -> Attempt:
    """Resume the member's open attempt, or start a new one (committed)."""
    member_id = member.id
    begin_write(session)
    member = session.get_one(Member, member_id)
    test_row = session.get(QuizTest, test_id)
    if test_row is None:
        raise Refused(404, "没有找到这个测试")
    test = definition(test_row)
    if not in_audience(session, test, member):
        raise Refused(404, "没有找到这个测试")
    if test.practice:
        check_practice_visible(session, {s.bank for s in test.sections}, member, now)
    current = open_attempt(session, test_id, member.id)
    if current is not None:
        current = expire_if_due(session, current, now)
        if current.status == "open":
            return current
    rules = rules_for(test, override_for(session, test_id, member.id))
    problem = rules.window_problem(now)
    if problem:
        raise problem
    used = attempts_used(session, test_id, member.id)
    if rules.attempts is not None and used >= rules.attempts:
        raise Refused(403, "作答次数已用完")
    seed = secrets.randbits(48) if seed is None else seed
    questions = draw(session, test, seed, seen_questions(session, test_id, member.id))
    deadline = None
    if rules.minutes is not None:
        deadline = now + dt.timedelta(minutes=rules.minutes)
        if rules.closes is not None:
            deadline = min(deadline, rules.closes)
    attempt = Attempt(test_id=test_id, member_id=member.id, number=used + 1, seed=seed,
                      started_at=now, deadline_at=deadline, status="open")
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            # One executemany, not 20 ORM objects: starts crowd the exam's first minute.
            session.execute(insert(AttemptQuestion), [
                {"attempt_id": attempt.id, "position": position,
                 "question_version_id": version.id, "points": points, "presented": presented}
                for position, (version, points, presented) in enumerate(questions, start=1)])
    except IntegrityError:
        # A parallel start took this number: resume whatever it started.
        session.rollback()
        current = open_attempt(session, test_id, member.id)
        if current is None:
            raise Refused(409, "请稍后重试") from None
        return current
    session.commit()
    return attempt


# -- answers -------------------------------------------------------------------------

def save_answer(session: Session, attempt: Attempt, position: int, response: Any,
                now: dt.datetime, *, auth_version: str | None = None) -> dt.datetime:
    """Upsert one answer while the attempt is open (deadline + grace); returns saved_at."""
    return save_for(session, attempt.id, attempt.member_id, position, response, now,
                    auth_version=auth_version).saved_at


@dataclass(frozen=True)
class Saved:
    saved_at: dt.datetime
    practice: bool


def save_for(session: Session, attempt_id: int, member_id: int, position: int,
             response: Any, now: dt.datetime, *, auth_version: str | None = None,
             session_id: str | None = None) -> Saved:
    """The autosave (``autosave.save_response``); an attempt found past its grace is
    finished here, as it stands, and the save refused."""
    try:
        state = save_response(session, attempt_id, member_id, position, response, now,
                              grace=GRACE, auth_version=auth_version,
                              session_id=session_id)
    except SaveRefused as refused:
        if refused.expired:
            submit(session, attempt_id, now, expired=True)
        raise
    return Saved(now, state.practice)


# -- submitting, grading, expiring ---------------------------------------------------

def _due(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.status == "open" and past_grace(attempt.deadline_at, now, GRACE)


def submit(session: Session, attempt_id: int, now: dt.datetime, *,
           expired: bool = False) -> tuple[Attempt, bool]:
    """Submit and grade; ``(attempt, True)`` for the one call that graded it.

    The conditional UPDATE is the first statement of its transaction, so on
    SQLite it takes the write lock at once and on PostgreSQL a parallel
    submit waits on the row and then finds it no longer open.
    """
    session.commit()  # end any read transaction: the UPDATE must come first
    table = Attempt.__table__
    row = session.execute(
        update(table).where(table.c.id == attempt_id, table.c.status == "open")
        .values(status="expired" if expired else "submitted")
        .returning(table.c.deadline_at, table.c.test_id, table.c.member_id)).first()
    if row is None:
        session.rollback()
        attempt = session.get(Attempt, attempt_id, populate_existing=True)
        if attempt is None:
            raise Refused(404, "没有找到这次作答")
        return attempt, False
    deadline, test_id, member_id = row
    # An attempt finished by the clock counts as handed in at its deadline.
    stamp = deadline if (expired and deadline is not None) else now
    test = definition(session.get_one(QuizTest, test_id))
    score, max_score = score_attempt(session, attempt_id)
    passed = passes(score, max_score, test.pass_score)
    session.execute(update(table).where(table.c.id == attempt_id).values(
        submitted_at=stamp, score=score, max_score=max_score, passed=passed, graded_at=now))
    if passed and not test.practice and test.credit_hours_on_pass > 0:
        member = session.get_one(Member, member_id)
        org_id = org_on(session, member_id, local_date(stamp)) or member.org_id
        if org_id is not None:
            award(session, member_id=member_id, org_id=org_id, source_type="test",
                  source_key=source_key("test", test_id),
                  hours=Decimal(str(test.credit_hours_on_pass)), earned_at=stamp,
                  note=test.title[:200])
    session.commit()
    attempt = session.get_one(Attempt, attempt_id, populate_existing=True)
    return attempt, True


def expire_if_due(session: Session, attempt: Attempt, now: dt.datetime) -> Attempt:
    """Lazily finish an attempt whose deadline and grace have passed."""
    if not _due(attempt, now):
        return attempt
    return submit(session, attempt.id, now, expired=True)[0]


def finish_expired(session: Session, now: dt.datetime) -> int:
    """Submit every open attempt past deadline + grace as it stands; how many."""
    due = session.scalars(select(Attempt.id).where(
        Attempt.status == "open", Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < now - GRACE).order_by(Attempt.id)).all()
    return sum(1 for attempt_id in due if submit(session, attempt_id, now, expired=True)[1])


# -- review and the member's view ------------------------------------------------------

def review_allowed(session: Session, test: QuizTest, attempt: Attempt, now: dt.datetime
                   ) -> bool:
    """Correct answers and explanations: per the test's ``review`` setting.

    ``after_close`` waits for the latest close of anyone's window (overrides
    included), so no one still answering can be handed the key by a peer.
    """
    if attempt.status == "open":
        return False
    defn = definition(test)
    policy = defn.review_policy
    if policy == "never":
        return False
    if policy == "after_submit":
        return True
    closes = [to_utc(defn.closes), *session.scalars(select(TestOverride.closes_at).where(
        TestOverride.test_id == test.id, TestOverride.closes_at.is_not(None)))]
    latest = max((c for c in closes if c is not None), default=None)
    return latest is None or now >= latest


def remaining_seconds(attempt: Attempt, now: dt.datetime) -> int | None:
    if attempt.deadline_at is None:
        return None
    if attempt.status != "open":
        return 0
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def iso(moment: dt.datetime | None) -> str | None:
    return moment.replace(tzinfo=dt.UTC).isoformat() if moment else None


def attempt_payload(session: Session, attempt: Attempt, now: dt.datetime) -> dict[str, Any]:
    """What the browser gets: questions as presented, never a key before review."""
    test = session.get_one(QuizTest, attempt.test_id)
    practice = definition(test).practice
    if practice:  # practice shows keys at once: never while a test uses its banks
        check_attempt_visible(session, attempt, now)
    questions = questions_of(session, attempt.id)
    payload: dict[str, Any] = {
        "attempt_id": attempt.id,
        "test_id": attempt.test_id,
        "title": test.title,
        "number": attempt.number,
        "status": attempt.status,
        "practice": practice,
        "started_at": iso(attempt.started_at),
        "deadline_at": iso(attempt.deadline_at),
        "grace_seconds": int(GRACE.total_seconds()),
        "remaining_seconds": remaining_seconds(attempt, now),
        "questions": [{"position": q.position, "points": float(q.points), **q.presented}
                      for q in questions],
        "responses": {str(k): v for k, v in responses_of(session, attempt.id).items()},
    }
    if attempt.status != "open":
        payload.update(submitted_at=iso(attempt.submitted_at),
                       score=float(attempt.score or 0), max_score=float(attempt.max_score or 0),
                       passed=bool(attempt.passed))
        if review_allowed(session, test, attempt, now):
            payload["review"] = review_items(session, questions,
                                             responses_of(session, attempt.id))
    return payload


def review_items(session: Session, questions: list[AttemptQuestion], responses: dict[int, Any]
                 ) -> list[dict[str, Any]]:
    if not questions:
        return []
    rules = regrade_rules(session, session.get_one(Attempt, questions[0].attempt_id).test_id)
    items = []
    for question in questions:
        version = session.get_one(QuestionVersion, question.question_version_id)
        data = {**version.data, "id": version.question_id}
        fraction = graded_fraction(data, responses.get(question.position),
                                   rules.get(question.question_version_id))
        items.append({"position": question.position, "answer": data.get("answer"),
                      "explanation": data.get("explanation"), "fraction": fraction,
                      "points": float(points(question, fraction))})
    return items


def answer_feedback(session: Session, attempt: Attempt, position: int, response: Any,
                    now: dt.datetime) -> dict[str, Any]:
    """Right or wrong, the answer and its explanation: practice sets only, and
    never for a question of a bank that a running test of the member's draws from."""
    question = session.get_one(AttemptQuestion, (attempt.id, position))
    version = session.get_one(QuestionVersion, question.question_version_id)
    check_practice_visible(session, {version.bank_id},
                           session.get_one(Member, attempt.member_id), now)
    return review_items(session, [question], {position: response})[0]


def member_tests(session: Session, member: Member, now: dt.datetime) -> list[dict[str, Any]]:
    """The tests and practice sets this member may see, with their state."""
    result = []
    for test_row in session.scalars(select(QuizTest).order_by(QuizTest.id)):
        test = definition(test_row)
        if not in_audience(session, test, member):
            continue
        rules = rules_for(test, override_for(session, test_row.id, member.id))
        attempts = list(session.scalars(select(Attempt).where(
            Attempt.test_id == test_row.id, Attempt.member_id == member.id)
            .order_by(Attempt.number)))
        attempts = [expire_if_due(session, a, now) for a in attempts]
        used = len(attempts)
        open_one = next((a for a in attempts if a.status == "open"), None)
        if open_one is not None:
            state = "in_progress"
        elif rules.opens is not None and now < rules.opens:
            state = "upcoming"
        elif rules.closes is not None and now >= rules.closes:
            state = "closed"
        elif rules.attempts is not None and used >= rules.attempts:
            state = "used_up"
        else:
            state = "available"
        graded = [a for a in attempts if a.score is not None]
        best = max(graded, key=lambda a: a.score or 0, default=None)
        result.append({
            "id": test_row.id, "title": test_row.title, "practice": test.practice,
            "state": state, "opens": iso(rules.opens), "closes": iso(rules.closes),
            "time_limit_minutes": rules.minutes, "attempts_allowed": rules.attempts,
            "attempts_used": used, "open_attempt_id": open_one.id if open_one else None,
            "best_score": float(best.score) if best and best.score is not None else None,
            "passed": any(a.passed for a in graded),
            "credit_hours_on_pass": 0 if test.practice else test.credit_hours_on_pass,
        })
    return result
