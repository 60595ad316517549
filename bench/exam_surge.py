"""Exam surge: many examinees start, autosave and submit one timed test (contract 4).

1. A fresh database (SQLite WAL file, or PostgreSQL: ``DATABASE_URL`` when set,
   otherwise a throwaway durable server) is migrated with Flask-Migrate's
   ``upgrade``; a bank of 36 questions (single, multiple, judge) and a test of
   20 questions (window open now, 30 minutes, one attempt, credit on pass) are
   written as YAML to a temp dir and loaded with ``load_quizzes`` + ``store``;
   E members are added to one village branch.
2. Sessions are minted, not signed in: argon2 for thousands of examinees would
   dominate the run. Each examinee's Flask session cookie is produced by the
   app's own session interface (``_user_id`` = ``id:auth_version``, ``_fresh``,
   ``_id`` as Flask-Login computes it for the generator's address and agent,
   ``csrf_token``) and the X-CSRFToken header by ``flask_wtf.csrf.generate_csrf``
   in a test request context holding that session. One examinee is checked
   against the real ``/app/login`` form and ``/api/quiz/tests`` first.
3. gunicorn (``--workers`` sync workers, 4 as deployed) on loopback;
   examinees start uniformly within ``--ramp`` seconds, each: POST start,
   20 x (think ~``--think-ms``, PUT the answer; about 10 % of positions are
   answered twice), POST submit; a small share (``--double-submit``) sends a
   second submit in parallel.
   The default think time, 10 s a question (Gaussian, sd a third of it), is a
   fast examinee: the test allows 30 minutes for 20 questions, and a member
   reading a Chinese stem and four options on a phone takes longer. With all
   2,000 examinees inside the test at once it offers ~220 requests/s. A short
   think time (``--think-ms 1500``, ~1,300 requests/s offered) measures the
   saturation throughput of the machine instead.
4. Checks against the database: ``lost_answers`` = acknowledged saves whose
   response is not stored (unless superseded by a later acknowledged save of
   the same position); ``double_graded`` = more than one attempt per member,
   duplicated ledger rows for the test, attempts not submitted exactly once,
   scores inconsistent with re-grading the stored answers, or a submit answer
   disagreeing with the stored score.

    .venv/bin/python bench/exam_surge.py --examinees 200 --db sqlite
    .venv/bin/python bench/exam_surge.py --examinees 2000 --db postgres

The last line is one JSON object: {"examinees", "db", "rps", "p50_ms", "p99_ms",
"lost_answers", "double_graded", ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import harness  # bench/harness.py: database, server, HTTP client, CPU figures

QUESTIONS = 20
TEST_ID = "surge-exam"
BANK_ID = "surge-bank"
RUN_GRACE_S = 120.0  # how long after the last planned request the parent waits


# --------------------------------------------------------------------------- setup


def bank_questions() -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for n in range(16):
        questions.append({"id": f"sg-s{n:02d}", "type": "single", "stem": f"单选题 {n}",
                          "options": {"A": "甲", "B": "乙", "C": "丙", "D": "丁"},
                          "answer": "ABCD"[n % 4], "explanation": "解析"})
    for n in range(10):
        questions.append({"id": f"sg-j{n:02d}", "type": "judge", "stem": f"判断题 {n}",
                          "answer": n % 2 == 0})
    for n in range(10):
        questions.append({"id": f"sg-m{n:02d}", "type": "multiple", "stem": f"多选题 {n}",
                          "options": {"A": "甲", "B": "乙", "C": "丙", "D": "丁"},
                          "answer": [["A", "C"], ["B", "D"], ["A", "B", "C"]][n % 3]})
    return questions


def write_quizzes(root: Path) -> dict[str, Any]:
    """The bank and the test as YAML; returns question id -> answer key."""
    import yaml

    questions = bank_questions()
    (root / "banks").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "banks" / "surge.yaml").write_text(yaml.safe_dump(
        {"bank": BANK_ID, "title": "压测题库", "questions": questions},
        allow_unicode=True, sort_keys=False), encoding="utf-8")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    test = {"id": TEST_ID, "title": "压测考试", "opens": (now - dt.timedelta(hours=1)).isoformat(),
            "closes": (now + dt.timedelta(hours=6)).isoformat(), "time_limit_minutes": 30,
            "pass_score": 60, "attempts": 1, "credit_hours_on_pass": 1, "audience": "all",
            "sections": [{"bank": BANK_ID, "count": 10, "points": 5, "types": ["single"]},
                         {"bank": BANK_ID, "count": 5, "points": 4, "types": ["judge"]},
                         {"bank": BANK_ID, "count": 5, "points": 6, "types": ["multiple"]}],
            "review": "after_submit"}
    (root / "tests" / "surge.yaml").write_text(yaml.safe_dump(test, allow_unicode=True,
                                                              sort_keys=False), encoding="utf-8")
    return {q["id"]: q["answer"] for q in questions}


@dataclass(frozen=True)
class Examinee:
    index: int
    member_id: int
    code: str
    cookie: str
    csrf: str
    start_offset: float  # seconds after the run's start
    seed: int


def prepare(url: str, site_dir: Path, quiz_dir: Path, prefix: str, count: int,
            ramp: float, cookie_name_out: list[str]) -> list[Examinee]:
    """Migrate, load the quizzes, add members, mint their sessions."""
    import flask
    from flask_login.utils import _create_identifier
    from flask_migrate import upgrade
    from flask_wtf.csrf import generate_csrf

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Member
    from learning_app.models.orgs import add_organization
    from learning_app.quiz.loader import load_quizzes
    from learning_app.quiz.store import store

    app = harness.make_app(url, site_dir)
    examinees: list[Examinee] = []
    with app.app_context():
        upgrade()
        print("quizzes: " + store(db.session, load_quizzes(quiz_dir)).summary(), flush=True)
        root = add_organization(db.session, code=f"{prefix}-QC", name="压测县委",
                                kind="county")
        village = add_organization(db.session, code=f"{prefix}-QC-01", name="压测村党支部",
                                   kind="village", parent=root)
        password_hash = hash_password(harness.PASSWORD)  # one hash for all: only a sample signs in
        members = []
        for n in range(count):
            member = Member(code=f"E{prefix}{n:05d}", name=f"考生{n}", phone=None,
                            password_hash=password_hash, must_change_password=False)
            db.session.add(member)
            members.append(member)
        db.session.flush()
        for member in members:
            open_membership(db.session, member, village, dt.date(2020, 1, 1))
        db.session.commit()
        identities = [(m.id, m.code, m.auth_version) for m in members]
        db.session.remove()
        db.engine.dispose()

    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None
    cookie_name_out.append(app.config["SESSION_COOKIE_NAME"])
    rng = random.Random(prefix)
    environ = {"REMOTE_ADDR": harness.HOST}
    for n, (member_id, code, auth_version) in enumerate(identities):
        raw = secrets.token_hex(20)
        with app.test_request_context("/", headers={"User-Agent": harness.USER_AGENT},
                                      environ_base=environ):
            flask.session["csrf_token"] = raw
            token = generate_csrf()
            ident = _create_identifier()
        cookie = serializer.dumps({"_user_id": f"{member_id}:{auth_version}", "_fresh": True,
                                   "_id": ident, "csrf_token": raw})
        examinees.append(Examinee(n, member_id, code, cookie, token,
                                  rng.uniform(0, ramp), rng.randrange(1 << 30)))
    return examinees


def sanity_check(port: int, cookie_name: str, sample: Examinee) -> str:
    """The real sign-in form works for one member, and a minted cookie is accepted."""
    client = harness.HttpClient(port)
    try:
        status, page = client.request("GET", "/app/login")
        csrf = harness.form_csrf_token(page.decode("utf-8", "replace"))
        if status != 200 or csrf is None:
            raise RuntimeError(f"GET /app/login: {status}")
        form = urlencode({"login": sample.code, "password": harness.PASSWORD,
                          "csrf_token": csrf}).encode()
        status, _ = client.request("POST", "/app/login", form,
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"real sign-in of {sample.code}: {status}")
    finally:
        client.close()
    minted = harness.HttpClient(port)
    try:
        minted.cookies[cookie_name] = sample.cookie
        status, body = minted.request("GET", "/api/quiz/tests")
        tests = json.loads(body).get("tests", []) if status == 200 else []
        if status != 200 or not any(t["id"] == TEST_ID for t in tests):
            raise RuntimeError(f"minted session refused: GET /api/quiz/tests {status} "
                               f"{body[:200]!r}")
        churn = cookie_name in minted.cookies and minted.cookies[cookie_name] != sample.cookie
    finally:
        minted.close()
    return ("real form sign-in of 1 member OK; minted cookies accepted"
            + (" (server re-issued the session cookie)" if churn else ""))


# --------------------------------------------------------------------------- the examinees


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    spans: list[tuple[float, float]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    # (member_id, attempt_id, position, seq, response, acknowledged)
    saves: list[tuple[int, int, int, int, Any, bool]] = field(default_factory=list)
    submits: list[tuple[int, int, float | None]] = field(default_factory=list)
    unfinished: int = 0
    cpu_s: float = 0.0

    def merge(self, other: Outcome) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind] += values
        self.spans += other.spans
        self.errors.update(other.errors)
        self.saves += other.saves
        self.submits += other.submits
        self.unfinished += other.unfinished
        self.cpu_s += other.cpu_s


def choose(question: dict[str, Any], key: Any, rng: random.Random) -> Any:
    """Usually the right answer (so some pass and earn credit), sometimes another."""
    options = [o["key"] for o in question.get("options") or []]
    right = rng.random() < 0.7
    if question["type"] == "judge":
        return key if right else (not key)
    if question["type"] == "multiple":
        if right:
            return sorted(key)
        return sorted(rng.sample(options, rng.randint(1, len(options))))
    return key if right else rng.choice(options)


class Run:
    def __init__(self, port: int, cookie_name: str, keys: dict[str, Any], t0: float,
                 think_ms: float, double_submit: float) -> None:
        self.port, self.cookie_name, self.keys = port, cookie_name, keys
        self.t0, self.think_s, self.double_submit = t0, think_ms / 1000, double_submit
        self.lock = threading.Lock()
        self.outcome = Outcome()

    def call(self, client: harness.HttpClient, kind: str, method: str, path: str,
             body: bytes, token: str) -> tuple[int, bytes]:
        began = time.time()
        try:
            status, raw = client.request(method, path, body, {
                "Content-Type": "application/json", "X-CSRFToken": token})
        except (OSError, harness.HttpError) as exc:
            with self.lock:
                self.outcome.errors[f"{kind}: {type(exc).__name__}"] += 1
            client.close()
            return 0, b""
        ended = time.time()
        with self.lock:
            self.outcome.latencies[kind].append((ended - began) * 1000)
            self.outcome.spans.append((began, ended))
            if not 200 <= status < 300:
                self.outcome.errors[f"{kind}: HTTP {status}"] += 1
        return status, raw

    def examinee(self, who: Examinee) -> None:
        rng = random.Random(who.seed)
        time.sleep(max(0.0, self.t0 + who.start_offset - time.time()))
        client = harness.HttpClient(self.port)
        client.cookies[self.cookie_name] = who.cookie
        saves: list[tuple[int, int, int, int, Any, bool]] = []
        try:
            status, raw = self.call(client, "start", "POST",
                                    f"/api/quiz/tests/{TEST_ID}/attempts", b"", who.csrf)
            if status != 200:
                with self.lock:
                    self.outcome.unfinished += 1
                return
            attempt = json.loads(raw)
            attempt_id = attempt["attempt_id"]
            seq = 0
            for question in attempt["questions"][:QUESTIONS]:
                position = question["position"]
                key = self.keys[question["id"]]
                for _ in range(2 if rng.random() < 0.1 else 1):
                    time.sleep(max(0.05, rng.gauss(self.think_s, self.think_s / 3)))
                    response = choose(question, key, rng)
                    body = json.dumps({"response": response}).encode()
                    status, _ = self.call(client, "save", "PUT",
                                          f"/api/quiz/attempts/{attempt_id}/answers/{position}",
                                          body, who.csrf)
                    seq += 1
                    saves.append((who.member_id, attempt_id, position, seq, response,
                                  200 <= status < 300))
            time.sleep(max(0.05, rng.gauss(self.think_s, self.think_s / 3)))
            path = f"/api/quiz/attempts/{attempt_id}/submit"
            extra = None
            if rng.random() < self.double_submit:
                twin = harness.HttpClient(self.port)
                twin.cookies[self.cookie_name] = who.cookie
                extra = threading.Thread(target=self._twin_submit, args=(twin, path, who),
                                         daemon=True)
                extra.start()
            status, raw = self.call(client, "submit", "POST", path, b"", who.csrf)
            score = json.loads(raw).get("score") if status == 200 else None
            if extra is not None:
                extra.join(harness.REQUEST_TIMEOUT_S + 5)
            with self.lock:
                self.outcome.submits.append((who.member_id, attempt_id, score))
                if status != 200:
                    self.outcome.unfinished += 1
        except (ValueError, KeyError) as exc:
            with self.lock:
                self.outcome.errors[f"bad answer: {type(exc).__name__}"] += 1
                self.outcome.unfinished += 1
        finally:
            client.close()
            with self.lock:
                self.outcome.saves += saves

    def _twin_submit(self, client: harness.HttpClient, path: str, who: Examinee) -> None:
        try:
            self.call(client, "submit", "POST", path, b"", who.csrf)
        finally:
            client.close()


def generator_main(conn: Connection, port: int, cookie_name: str, keys: dict[str, Any],
                   group: list[Examinee], t0: float, think_ms: float, double_submit: float,
                   budget_s: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        threading.stack_size(512 * 1024)
        run = Run(port, cookie_name, keys, t0, think_ms, double_submit)
        cpu = time.process_time()
        threads = [threading.Thread(target=run.examinee, args=(who,), daemon=True)
                   for who in group]
        for thread in threads:
            thread.start()
        deadline = time.time() + budget_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.time()))
        with run.lock:
            run.outcome.unfinished += sum(1 for t in threads if t.is_alive())
            run.outcome.cpu_s = time.process_time() - cpu
            conn.send(("result", run.outcome))
    except Exception as exc:
        with contextlib.suppress(Exception):
            conn.send(("failed", repr(exc)))
    finally:
        conn.close()


def run_load(port: int, cookie_name: str, keys: dict[str, Any], examinees: list[Examinee],
             args: argparse.Namespace) -> tuple[Outcome, float]:
    context = mp.get_context("fork")
    t0 = time.time() + 1.0
    # 20 thinks, ~10 % re-answers, the submit: the planned length of one examinee.
    planned = args.ramp + (QUESTIONS * 1.1 + 1) * args.think_ms / 1000 * 1.3
    budget = planned + RUN_GRACE_S
    pipes, processes = [], []
    try:
        for n in range(args.procs):
            group = examinees[n::args.procs]
            if not group:
                continue
            parent, child = context.Pipe()
            process = context.Process(target=generator_main, daemon=True, args=(
                child, port, cookie_name, keys, group, t0, args.think_ms, args.double_submit,
                budget))
            process.start()
            child.close()
            pipes.append(parent)
            processes.append(process)
        total = Outcome()
        deadline = time.monotonic() + budget + 30
        for pipe in pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("a load generator process did not answer in time")
            message = pipe.recv()
            if message[0] == "failed":
                raise RuntimeError(f"load generator failed: {message[1]}")
            total.merge(message[1])
        return total, t0
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# --------------------------------------------------------------------------- checks


@dataclass
class Check:
    acknowledged: int = 0
    expected_positions: int = 0
    lost_answers: int = 0
    uncertain_positions: int = 0
    attempts: int = 0
    multi_attempt_members: int = 0
    not_submitted: int = 0
    ungraded: int = 0
    score_mismatch: int = 0
    reply_mismatch: int = 0
    ledger_rows: int = 0
    ledger_duplicates: int = 0
    passed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def double_graded(self) -> int:
        return (self.multi_attempt_members + self.ledger_duplicates + self.score_mismatch
                + self.reply_mismatch)


def check_database(url: str, site_dir: Path, outcome: Outcome, member_ids: list[int]) -> Check:
    from sqlalchemy import func, select

    from learning_app.extensions import db
    from learning_app.models import (
        Attempt,
        AttemptAnswer,
        AttemptQuestion,
        CreditEntry,
        QuestionVersion,
    )
    from learning_app.quiz.types import get_type

    check = Check()
    # The last save per (attempt, position), in the examinee's own order.
    last: dict[tuple[int, int], tuple[int, Any, bool]] = {}
    for _member, attempt_id, position, seq, response, acked in outcome.saves:
        check.acknowledged += acked
        key = (attempt_id, position)
        if key not in last or seq > last[key][0]:
            last[key] = (seq, response, acked)
    app = harness.make_app(url, site_dir)
    with app.app_context():
        stored = {(r.attempt_id, r.position): r.response for r in db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.position, AttemptAnswer.response))}
        attempts = db.session.execute(select(Attempt).where(Attempt.test_id == TEST_ID)
                                      ).scalars().all()
        per_member = Counter(a.member_id for a in attempts)
        questions: dict[int, list[tuple[int, Decimal, int]]] = defaultdict(list)
        for q in db.session.execute(select(AttemptQuestion.attempt_id, AttemptQuestion.position,
                                           AttemptQuestion.points,
                                           AttemptQuestion.question_version_id)):
            questions[q.attempt_id].append((q.position, Decimal(q.points),
                                            q.question_version_id))
        versions = {v.id: {**v.data, "id": v.question_id}
                    for v in db.session.execute(select(QuestionVersion)).scalars()}
        ledger = db.session.execute(
            select(CreditEntry.member_id, func.count()).where(
                CreditEntry.source_key == f"test:{TEST_ID}").group_by(CreditEntry.member_id)
        ).all()
        check.attempts = len(attempts)
        check.multi_attempt_members = sum(1 for c in per_member.values() if c > 1)
        check.ledger_rows = sum(c for _, c in ledger)
        check.ledger_duplicates = sum(c - 1 for _, c in ledger if c > 1)
        ledger_members = {m for m, _ in ledger}
        scores = {}
        for a in attempts:
            scores[a.id] = a.score
            if a.status != "submitted" or a.submitted_at is None:
                check.not_submitted += 1
            if a.graded_at is None or a.score is None:
                check.ungraded += 1
                continue
            score = Decimal(0)
            for position, points, version_id in questions[a.id]:
                data = versions[version_id]
                fraction = get_type(data["type"]).grade(data, stored.get((a.id, position)))
                score += (points * Decimal(str(fraction))).quantize(Decimal("0.01"),
                                                                    ROUND_HALF_UP)
            if score != Decimal(a.score):
                check.score_mismatch += 1
                check.notes.append(f"attempt {a.id}: stored {a.score}, re-graded {score}")
            check.passed += bool(a.passed)
            if bool(a.passed) != (a.member_id in ledger_members):
                check.notes.append(f"attempt {a.id}: passed={a.passed} but ledger "
                                   f"{'has' if a.member_id in ledger_members else 'lacks'} "
                                   "a row")
        db.session.remove()
        db.engine.dispose()
    for key, (_seq, response, acked) in last.items():
        if not acked:
            # A later save failed: its effect is unknown, the earlier ack may be superseded.
            if any(s[5] for s in outcome.saves if (s[1], s[2]) == key):
                check.uncertain_positions += 1
            continue
        check.expected_positions += 1
        if key not in stored or stored[key] != response:
            check.lost_answers += 1
            if len(check.notes) < 20:
                check.notes.append(f"attempt {key[0]} position {key[1]}: acknowledged "
                                   f"{response!r}, stored {stored.get(key, '(none)')!r}")
    for _member, attempt_id, score in outcome.submits:
        if score is not None and attempt_id in scores and scores[attempt_id] is not None \
                and Decimal(str(score)) != Decimal(scores[attempt_id]):
            check.reply_mismatch += 1
    del member_ids
    return check


# --------------------------------------------------------------------------- report


def server_errors(log: Path) -> str:
    """The distinct exception lines of gunicorn's log, counted, plus its tail."""
    with contextlib.suppress(OSError):
        lines = log.read_text(errors="replace").splitlines()
        kinds = Counter(line.strip()[:160] for line in lines
                        if "Error" in line and not line.startswith(" "))
        found = "\n".join(f"  {n} x {kind}" for kind, n in kinds.most_common(6))
        return found + "\n" + "\n".join(lines[-12:])
    return ""


def busy_period(spans: list[tuple[float, float]]) -> float:
    if not spans:
        return 0.0
    return max(e for _, e in spans) - min(b for b, _ in spans)


def report(args: argparse.Namespace, described: str, sign_in: str, outcome: Outcome,
           check: Check, cpu: dict[str, Any], idle_busy: float) -> dict[str, Any]:
    every = sorted(v for values in outcome.latencies.values() for v in values)
    period = busy_period(outcome.spans)
    rps = len(every) / period if period else 0.0
    print(f"\nexam surge: {args.examinees} examinees, ramp {args.ramp:g} s, think "
          f"~{args.think_ms:g} ms, {QUESTIONS} questions, {described}")
    print(f"sessions: minted with the app's session interface + generate_csrf; {sign_in}")
    print(f"server: gunicorn --workers {args.workers} --worker-class sync; load generator: "
          f"{args.procs} processes, a thread per examinee; {os.cpu_count()} cores; machine "
          f"busy with other work before the run: {idle_busy:.0%}")
    print(f"\n{'request':<9}{'count':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in ("start", "save", "submit", "all"):
        values = every if kind == "all" else sorted(outcome.latencies.get(kind, []))
        if not values:
            continue
        print(f"{kind:<9}{len(values):>8}{harness.percentile(values, .5):>9.1f}"
              f"{harness.percentile(values, .9):>9.1f}{harness.percentile(values, .99):>9.1f}"
              f"{values[-1]:>9.1f}")
    print(f"busy period {period:.1f} s, {rps:.1f} requests/s; errors "
          f"{sum(outcome.errors.values())} {dict(outcome.errors) or ''}; examinees unfinished "
          f"{outcome.unfinished}")
    print(f"CPU over the busy period (2 cores = 100%): generator {cpu['generator']:.0%}, "
          f"gunicorn {cpu['server']:.0%}, database {cpu['db']}, machine {cpu['machine']:.0%}; "
          f"per request: gunicorn {cpu['server_ms']:.2f} ms"
          + (f", database {cpu['db_ms']:.2f} ms" if cpu.get("db_ms") is not None else ""))
    if cpu["others"]:
        print("other work on the machine: " + "; ".join(f"{label} {share:.0%}"
                                                       for label, share in cpu["others"]))
    print(f"\ndatabase check: attempts {check.attempts}, acknowledged saves "
          f"{check.acknowledged}, positions expected {check.expected_positions}, lost "
          f"{check.lost_answers}, uncertain {check.uncertain_positions}")
    print(f"  members with >1 attempt {check.multi_attempt_members}, not submitted "
          f"{check.not_submitted}, ungraded {check.ungraded}, score != re-grade "
          f"{check.score_mismatch}, submit reply != stored {check.reply_mismatch}")
    print(f"  ledger rows test:{TEST_ID} {check.ledger_rows} (duplicates "
          f"{check.ledger_duplicates}), passed attempts {check.passed}")
    for note in check.notes[:10]:
        print(f"  note: {note}")
    p99 = harness.percentile(every, .99)
    met = {"p99<300ms": p99 < 300, "lost 0": check.lost_answers == 0,
           "double 0": check.double_graded == 0, "errors 0": not outcome.errors}
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return {"examinees": args.examinees, "db": args.db, "rps": round(rps, 1),
            "p50_ms": round(harness.percentile(every, .5), 1), "p99_ms": round(p99, 1),
            "lost_answers": check.lost_answers, "double_graded": check.double_graded,
            "think_ms": args.think_ms, "gunicorn_ms_per_request": round(cpu["server_ms"], 2),
            "errors": sum(outcome.errors.values()), "unfinished": outcome.unfinished,
            "not_submitted": check.not_submitted, "sessions": "minted"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examinees", type=int, required=True)
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--ramp", type=float, default=60.0)
    parser.add_argument("--think-ms", type=float, default=10_000.0,
                        help="mean time to read and answer one question (default 10 s)")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn sync workers (default 4, as the README deploys: while "
                             "one waits for its commit's WAL flush another can run)")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--double-submit", type=float, default=0.05,
                        help="share of examinees who submit twice in parallel")
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not 1 <= args.examinees <= 5000 or not 0 <= args.ramp <= 600:
        parser.error("--examinees 1..5000, --ramp 0..600")
    if not 50 <= args.think_ms <= 60_000 or not 1 <= args.procs <= 16:
        parser.error("--think-ms 50..60000, --procs 1..16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.bench_process()
    prefix = uuid.uuid4().hex[:6]
    try:
        with contextlib.ExitStack() as cleanup:
            workdir, site_dir = harness.scratch(cleanup, "dj-exam-surge-")
            keys = write_quizzes(workdir / "quizzes")
            url, described = cleanup.enter_context(harness.database(args.db, workdir))
            names: list[str] = []
            examinees = prepare(url, site_dir, workdir / "quizzes", prefix, args.examinees,
                                args.ramp, names)
            port = harness.free_port()
            log = workdir / "gunicorn.log"
            server = harness.start_gunicorn(url, site_dir, port, log, workers=args.workers)
            cleanup.callback(harness.stop_process_group, server)
            harness.wait_for_ping(port, server, log)
            sign_in = sanity_check(port, names[0], examinees[0])
            print(sign_in, flush=True)
            idle_busy = harness.wait_for_quiet(args.quiet_wait)
            postmaster = harness.postmaster_pid(url) if args.db == "postgres" else None
            workers = harness.worker_pids(server.pid)
            before, machine_before = harness.all_processes_cpu(), harness.machine_cpu()
            began = time.monotonic()
            print(f"running {args.examinees} examinees …", flush=True)
            outcome, _t0 = run_load(port, names[0], keys, examinees, args)
            wall = time.monotonic() - began
            after, machine_after = harness.all_processes_cpu(), harness.machine_cpu()
            db_pids = (set(harness.worker_pids(postmaster)) | {postmaster}) if postmaster else set()
            cores = os.cpu_count() or 1
            answered = max(1, len(outcome.spans))

            def used(pid: int) -> float:
                return after.get(pid, 0.0) - before.get(pid, 0.0)

            server_cpu = sum(used(p) for p in workers)
            db_cpu = sum(used(p) for p in db_pids) if postmaster else None
            ours = {os.getpid(), server.pid, *workers, *db_pids}
            others = sorted(((used(p), p) for p in after if p not in ours), reverse=True)
            span = wall * cores
            cpu = {"generator": outcome.cpu_s / span, "server": server_cpu / span,
                   "db": f"{db_cpu / span:.0%}" if db_cpu is not None else "in-process",
                   "machine": (machine_after[0] - machine_before[0])
                   / max(1e-9, machine_after[1] - machine_before[1]),
                   "server_ms": 1000 * server_cpu / answered,
                   "db_ms": 1000 * db_cpu / answered if db_cpu is not None else None,
                   "others": [(harness.process_label(p), c / span) for c, p in others[:5]
                              if c / span >= 0.02 and "python" not in harness.process_label(p)]}
            harness.stop_process_group(server)  # every request answered and committed
            if server.returncode not in (0, -signal.SIGTERM):
                print(f"gunicorn exited with {server.returncode}:\n{harness.tail(log)}")
            if outcome.errors:
                print(f"server errors (last lines of its log):\n{server_errors(log)}")
            check = check_database(url, site_dir, outcome, [e.member_id for e in examinees])
            summary = report(args, described, sign_in, outcome, check, cpu, idle_busy)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if summary["lost_answers"] or summary["double_graded"] else 0


if __name__ == "__main__":
    sys.exit(main())
