"""Reading-heartbeat throughput and credit correctness under concurrent readers.

What is measured (contract 3 of /work/shared/DESIGN.md):

1. A fresh database (SQLite file in WAL mode, or PostgreSQL: ``DATABASE_URL``
   when set, otherwise a throwaway durable server) gets the schema through
   Flask-Migrate's ``upgrade``, an org tree (a county and a village), C members
   with argon2 passwords and a few published articles whose required reading
   times are scaled to the run so that some are earned during it and some not.
2. The app runs under gunicorn with 2 workers on a free loopback port
   (``--worker-class sync`` by default: on this machine it beat ``gthread``
   with 2 or 4 threads on both databases, in throughput and in p99, because
   the work is CPU-bound under one GIL per worker and, on SQLite, extra
   concurrent writers only wait in SQLite's busy handler).
3. C clients sign in through the real form (CSRF token from the page, session
   cookie), fetch the API CSRF token from ``/api/reading/session`` and then,
   in a closed loop for ``--seconds``, post heartbeats to
   ``/api/reading/heartbeat``: one view per client and article, increasing
   ``seq``, cycling through the articles in blocks of beats. The articles'
   own ``required_seconds`` are scaled to ``--seconds`` (no
   READING_REQUIRED_SECONDS_OVERRIDE), READING_MAX_CREDIT_SECONDS is 20.
4. The same clients then load the trivial endpoint ``GET /api/ping`` for the
   same time (the stack's ceiling; their session cookie is sent, as a browser
   would).
5. The database is checked against what the server told the clients: an
   article is expected to be credited to a member iff the last response for
   that (member, article) said ``credited``. ``lost`` counts expected ledger
   rows (source_type 'reading') that are missing, ``extra`` counts rows nobody
   was told about plus duplicates; the sum of hours, the per-article progress
   and the per-member active time (never more than the real time elapsed,
   plus one cap) are checked too.

The load generator is a few processes (``--procs``), each running one thread
per client with a minimal blocking HTTP/1.1 client (keep-alive when the
server offers it), so that it spends little CPU per request on this 2-core
machine; its CPU use, the gunicorn workers', the PostgreSQL server's and the
whole machine's are printed so the split is visible, and so is other work
that happened to run on the machine meanwhile.

The database and gunicorn setup, the HTTP client and the CPU accounting are
``bench/harness.py``'s; this file holds the readers, the phases and the checks.

    .venv/bin/python bench/heartbeat.py --clients 50 --db sqlite
    .venv/bin/python bench/heartbeat.py --clients 50 --db postgres --seconds 30

In a closed loop the mean latency is clients / throughput (Little's law),
so the p99 target is in effect a throughput target: 50 clients and p99 under
100 ms need well over 500 heartbeats per second.

The last line is one JSON object: {"clients", "db", "heartbeat_rps",
"heartbeat_p99_ms", "trivial_rps", "ratio", "lost", "extra", ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from harness import (
    APP,
    PASSWORD,
    REQUEST_TIMEOUT_S,
    HttpClient,
    HttpError,
    all_processes_cpu,
    bench_process,
    database,
    form_csrf_token,
    free_port,
    machine_cpu,
    make_app,
    percentile,
    postmaster_pid,
    process_label,
    scratch,
    start_gunicorn,
    stop_process_group,
    tail,
    wait_for_ping,
    wait_for_quiet,
    worker_pids,
)

MAX_REQUESTS_PER_CLIENT = 500_000  # a bound on every closed loop besides its deadline
PHASE_GRACE_S = 60.0  # how long after a phase's end the parent waits for results
CAP_SECONDS = 20  # READING_MAX_CREDIT_SECONDS given to the server
TARGETS = {"ratio": 0.5, "heartbeat_p99_ms": 100.0}


# --------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class ArticleSpec:
    id: str
    required_seconds: int
    credit_hours: Decimal


@dataclass(frozen=True)
class ClientSpec:
    index: int
    member_id: int
    code: str
    block: int  # heartbeats on one article before moving to the next
    first_article: int


def article_specs(prefix: str, seconds: float) -> list[ArticleSpec]:
    """Five articles; with time shared evenly each gets about ``seconds / 5``.

    Required times ``s/15, s/10, s/6, s/5, 2s``: the first three are earned
    mid-run, the fourth right at the end (some clients yes, some no), the
    last never.
    """
    fractions = (1 / 15, 1 / 10, 1 / 6, 1 / 5, 2.0)
    hours = ("0.50", "0.25", "1.00", "0.50", "0.75")
    return [ArticleSpec(f"bench-{prefix}-{n}", max(1, round(seconds * f)), Decimal(h))
            for n, (f, h) in enumerate(zip(fractions, hours, strict=True))]


def prepare_database(url: str, site_dir: Path, prefix: str, clients: int,
                     articles: list[ArticleSpec]) -> tuple[list[ClientSpec], int]:
    """Migrate, then add the org tree, the members and the articles."""
    from flask_migrate import upgrade

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Article, Member
    from learning_app.models.orgs import add_organization
    from learning_app.models.types import local_today

    app = make_app(url, site_dir)
    with app.app_context():
        upgrade()
        root = add_organization(db.session, code=f"{prefix}-QC", name="基准测试县委",
                                kind="county")
        village = add_organization(db.session, code=f"{prefix}-QC-01", name="基准测试村党支部",
                                   kind="village", parent=root)
        published = local_today() - dt.timedelta(days=30)
        for spec in articles:
            db.session.add(Article(
                id=spec.id, title=f"基准测试文章 {spec.id}", url=f"/column/bench/{spec.id}/",
                section="column", issue=published.strftime("%Y-%m"), category="knowledge",
                published=published, chars=1000, required_seconds=spec.required_seconds,
                credit_hours=spec.credit_hours, in_manifest=True))
        specs: list[ClientSpec] = []
        for n in range(clients):
            member = Member(code=f"B{prefix}{n:05d}", name=f"测试党员{n}", phone=None,
                            password_hash=hash_password(PASSWORD), must_change_password=False)
            db.session.add(member)
            db.session.flush()
            open_membership(db.session, member, village, dt.date(2020, 1, 1))
            specs.append(ClientSpec(index=n, member_id=member.id, code=member.code,
                                    block=5 + (7 * n) % 11, first_article=n % len(articles)))
        db.session.commit()
        village_id = village.id
        if db.engine.dialect.name == "sqlite":
            mode = db.session.execute(db.text("PRAGMA journal_mode")).scalar_one()
            if str(mode).lower() != "wal":
                raise RuntimeError(f"SQLite journal mode is {mode}, expected wal")
        db.session.remove()
        db.engine.dispose()
    return specs, village_id



# --------------------------------------------------------------------------- the load generator


@dataclass
class ArticleState:
    seq: int = 0
    answered: bool = False
    credited: bool = False
    active_seconds: int = 0
    uncertain: bool = False  # the last request about it failed: its effect is unknown
    refused: int = 0  # responses with accepted=false (replays: none expected)


@dataclass
class PhaseResult:
    ok_in_window: int = 0
    ok_late: int = 0  # finished after the window closed (the last one of each client)
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu_s: float = 0.0
    first_start: float = 0.0
    last_end: float = 0.0
    states: dict[tuple[int, str], ArticleState] = field(default_factory=dict)

    def merge(self, other: PhaseResult) -> None:
        self.ok_in_window += other.ok_in_window
        self.ok_late += other.ok_late
        self.latencies_ms += other.latencies_ms
        self.errors.update(other.errors)
        self.cpu_s += other.cpu_s
        starts = [t for t in (self.first_start, other.first_start) if t]
        self.first_start = min(starts) if starts else 0.0
        self.last_end = max(self.last_end, other.last_end)
        self.states.update(other.states)


class Reader:
    """One member in a browser: a session, a CSRF token, one view per article."""

    def __init__(self, spec: ClientSpec, port: int, articles: list[ArticleSpec],
                 run_id: str) -> None:
        self.spec = spec
        self.http = HttpClient(port)
        self.articles = articles
        self.views = [f"v{run_id}-c{spec.index:05d}-a{n}" for n in range(len(articles))]
        self.states = [ArticleState() for _ in articles]
        self.token = ""
        self.beats = 0

    def sign_in(self) -> None:
        status, page = self.http.request("GET", "/app/login")
        csrf = form_csrf_token(page.decode("utf-8", "replace"))
        if status != 200 or csrf is None:
            raise HttpError(f"GET /app/login: {status}, csrf token found: {csrf is not None}")
        form = urlencode({"login": self.spec.code, "password": PASSWORD,
                          "csrf_token": csrf}).encode()
        status, _ = self.http.request(
            "POST", "/app/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise HttpError(f"POST /app/login for {self.spec.code}: {status}")
        status, body = self.http.request("GET", "/api/reading/session")
        if status != 200:
            raise HttpError(f"GET /api/reading/session: {status}")
        self.token = json.loads(body)["csrf_token"]

    def next_beat(self) -> tuple[int, bytes]:
        """Cycle through the articles, ``block`` beats on each in turn."""
        n = (self.spec.first_article + self.beats // self.spec.block) % len(self.articles)
        self.beats += 1
        state = self.states[n]
        state.seq += 1
        body = json.dumps({"article_id": self.articles[n].id, "view_id": self.views[n],
                           "seq": state.seq}).encode()
        return n, body

    def heartbeat(self) -> int:
        n, body = self.next_beat()
        state = self.states[n]
        try:
            status, raw = self.http.request(
                "POST", "/api/reading/heartbeat", body,
                {"Content-Type": "application/json", "X-CSRFToken": self.token})
        except BaseException:
            state.uncertain = True
            raise
        if 200 <= status < 300:
            answer = json.loads(raw)
            state.answered, state.uncertain = True, False
            state.credited = bool(answer["credited"])
            state.active_seconds = int(answer["active_seconds"])
            if not answer["accepted"]:
                state.refused += 1
        elif status >= 500:
            state.uncertain = True
        return status

    def ping(self, send_cookies: bool) -> int:
        return self.http.request("GET", "/api/ping", send_cookies=send_cookies)[0]


def run_client(reader: Reader, kind: str, start_at: float, end_at: float,
               result: PhaseResult) -> None:
    """One closed loop: the next request as soon as the previous one is answered."""
    time.sleep(max(0.0, start_at - time.time()))
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.time() >= end_at:
            break
        began = time.perf_counter()
        try:
            if kind == "heartbeat":
                status = reader.heartbeat()
            else:
                status = reader.ping(send_cookies=kind == "ping")
        except TimeoutError:
            result.errors["timeout"] += 1
            reader.http.close()
            continue
        except (OSError, HttpError, ValueError) as exc:
            result.errors[type(exc).__name__] += 1
            reader.http.close()
            time.sleep(0.01)  # don't spin on a refused connection
            continue
        finished = time.time()
        if not 200 <= status < 300:
            result.errors[f"HTTP {status}"] += 1
            continue
        if finished <= end_at:
            result.ok_in_window += 1
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
        else:
            result.ok_late += 1
        result.last_end = max(result.last_end, finished)


def generator(conn: Connection, port: int, specs: list[ClientSpec],
              articles: list[ArticleSpec], run_id: str) -> None:
    """One load generator process: a thread per client."""
    readers = [Reader(spec, port, articles, run_id) for spec in specs]
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for reader, outcome in zip(readers, pool.map(_try_sign_in, readers), strict=True):
            if outcome:
                failures.append(f"{reader.spec.code}: {outcome}")
    conn.send(("ready", failures))
    if failures:
        return
    for _ in range(10):  # phases; bounded
        if not conn.poll(600):
            break
        message = conn.recv()
        if message[0] != "phase":
            break
        _, kind, start_at, seconds = message
        results = [PhaseResult(first_start=start_at) for _ in readers]
        cpu = time.process_time()
        threads = [threading.Thread(target=run_client,
                                    args=(r, kind, start_at, start_at + seconds, res),
                                    daemon=True)
                   for r, res in zip(readers, results, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + REQUEST_TIMEOUT_S + PHASE_GRACE_S)
        total = PhaseResult(first_start=start_at)
        for res in results:
            total.merge(res)
        total.cpu_s = time.process_time() - cpu
        if kind == "heartbeat":
            total.states = {(r.spec.member_id, a.id): s for r in readers
                            for a, s in zip(articles, r.states, strict=True)}
        conn.send(("result", total))
    for reader in readers:
        reader.http.close()


def _try_sign_in(reader: Reader) -> str:
    try:
        reader.sign_in()
    except (OSError, HttpError, ValueError, KeyError) as exc:
        return repr(exc)
    return ""


def generator_main(conn: Connection, port: int, specs: list[ClientSpec],
                   articles: list[ArticleSpec], run_id: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        generator(conn, port, specs, articles, run_id)
    except Exception as exc:
        with contextlib.suppress(Exception):
            conn.send(("failed", repr(exc)))
    finally:
        conn.close()


class LoadGenerator:
    """``procs`` processes, the clients split among them."""

    def __init__(self, procs: int, port: int, specs: list[ClientSpec],
                 articles: list[ArticleSpec], run_id: str) -> None:
        context = mp.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        groups = [specs[n::procs] for n in range(procs) if specs[n::procs]]
        for group in groups:
            parent, child = context.Pipe()
            process = context.Process(target=generator_main,
                                      args=(child, port, group, articles, run_id), daemon=True)
            process.start()
            child.close()
            self.pipes.append(parent)
            self.processes.append(process)

    def _receive(self, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        answers = []
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("a load generator process did not answer in time")
            message = pipe.recv()
            if message[0] == "failed":
                raise RuntimeError(f"load generator failed: {message[1]}")
            answers.append(message)
        return answers

    def wait_ready(self) -> None:
        for _, failures in self._receive(180):
            if failures:
                raise RuntimeError(f"sign-in failed for {len(failures)} clients: {failures[:3]}")

    def phase(self, kind: str, seconds: float) -> PhaseResult:
        start_at = time.time() + 0.5
        for pipe in self.pipes:
            pipe.send(("phase", kind, start_at, seconds))
        total = PhaseResult()
        for _, result in self._receive(seconds + 0.5 + REQUEST_TIMEOUT_S + PHASE_GRACE_S):
            total.merge(result)
        total.first_start = start_at
        return total

    def stop(self, graceful: bool = True) -> None:
        """Let idle processes finish; on an interrupt or error, end them at once."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=10 if graceful else 0.5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# --------------------------------------------------------------------------- figures


@dataclass
class PhaseFigures:
    name: str
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    ok: int
    errors: Counter[str]
    generator_cpu: float  # shares of the whole machine (2 cores = 100 %)
    server_cpu: float
    db_cpu: float | None  # the PostgreSQL server's processes, when they are ours to see
    machine_cpu: float
    server_ms_per_request: float  # gunicorn workers' CPU per answered request
    db_ms_per_request: float | None
    per_worker_cpu: list[float] = field(default_factory=list)  # share of one core each
    others: list[tuple[str, float]] = field(default_factory=list)  # busiest other processes



def measured_phase(load: LoadGenerator, kind: str, seconds: float, master_pid: int,
                   postmaster: int | None) -> tuple[PhaseResult, PhaseFigures]:
    pids = worker_pids(master_pid)
    generator_pids = {p.pid for p in load.processes}
    everyone_before, machine_before = all_processes_cpu(), machine_cpu()
    began = time.monotonic()
    result = load.phase(kind, seconds)
    wall = time.monotonic() - began  # the window plus its short lead-in and tail
    everyone_after, machine_after = all_processes_cpu(), machine_cpu()
    db_pids = set(worker_pids(postmaster)) | {postmaster} if postmaster else set()

    def used(pid: int) -> float:
        return everyone_after.get(pid, 0.0) - everyone_before.get(pid, 0.0)

    cores = os.cpu_count() or 1
    span = wall * cores
    server = [used(pid) for pid in pids]
    answered = max(1, result.ok_in_window + result.ok_late)
    latencies = sorted(result.latencies_ms)
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    db_cpu = sum(used(pid) for pid in db_pids) if postmaster else None
    phase = PhaseFigures(
        name=kind, rps=result.ok_in_window / seconds, p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90), p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else float("nan"), ok=result.ok_in_window,
        errors=result.errors, generator_cpu=result.cpu_s / span, server_cpu=sum(server) / span,
        db_cpu=db_cpu / span if db_cpu is not None else None,
        machine_cpu=busy / total if total else 0.0,
        server_ms_per_request=1000 * sum(server) / answered,
        db_ms_per_request=1000 * db_cpu / answered if db_cpu is not None else None,
        per_worker_cpu=[cpu / wall for cpu in server])
    ours = {os.getpid(), master_pid, *pids, *generator_pids, *db_pids}
    others = sorted(((used(pid), pid) for pid in everyone_after if pid not in ours),
                    reverse=True)
    phase.others = [(process_label(pid), cpu / span) for cpu, pid in others[:4]
                    if cpu / span >= 0.01]
    return result, phase


@dataclass
class Check:
    expected_rows: int = 0
    ledger_rows: int = 0
    lost: int = 0
    extra: int = 0
    duplicates: int = 0
    uncertain: int = 0
    expected_hours: Decimal = Decimal(0)
    ledger_hours: Decimal = Decimal(0)
    wrong_org: int = 0
    progress_mismatch: int = 0  # progress row vs last response / ledger / required time
    refused: int = 0
    overrun_members: int = 0  # active time beyond real elapsed time + one cap
    max_active_s: float = 0.0
    run_elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def check_database(url: str, site_dir: Path, result: PhaseResult, articles: list[ArticleSpec],
                   village_id: int, member_ids: list[int]) -> Check:
    from sqlalchemy import select

    from learning_app.extensions import db
    from learning_app.models import CreditEntry, ReadingClock, ReadingProgress

    check = Check()
    by_id = {a.id: a for a in articles}
    expected: set[tuple[int, str]] = set()
    uncertain: set[tuple[int, str]] = set()
    for (member_id, article_id), state in result.states.items():
        key = (member_id, f"reading:{article_id}")
        check.refused += state.refused
        if state.uncertain:
            uncertain.add(key)
        elif state.credited:
            expected.add(key)
            check.expected_hours += by_id[article_id].credit_hours
    check.uncertain = len(uncertain)
    check.expected_rows = len(expected)

    app = make_app(url, site_dir)
    with app.app_context():
        rows = db.session.execute(
            select(CreditEntry.member_id, CreditEntry.source_key, CreditEntry.hours,
                   CreditEntry.org_id)
            .where(CreditEntry.source_type == "reading",
                   CreditEntry.member_id.in_(member_ids))).all()
        progress = db.session.execute(
            select(ReadingProgress.member_id, ReadingProgress.article_id,
                   ReadingProgress.active_ms, ReadingProgress.first_beat_ms,
                   ReadingProgress.credited)
            .where(ReadingProgress.member_id.in_(member_ids))).all()
        clocks = dict(db.session.execute(
            select(ReadingClock.member_id, ReadingClock.last_beat_ms)
            .where(ReadingClock.member_id.in_(member_ids))).all())
        db.session.remove()
        db.engine.dispose()

    keys = [(r.member_id, r.source_key) for r in rows]
    actual = set(keys)
    check.ledger_rows = len(rows)
    check.duplicates = len(keys) - len(actual)
    check.lost = len(expected - actual)
    check.extra = len(actual - expected - uncertain) + check.duplicates
    certain_rows = [r for r in rows if (r.member_id, r.source_key) not in uncertain]
    check.ledger_hours = sum((Decimal(r.hours) for r in certain_rows), Decimal(0))
    check.wrong_org = sum(1 for r in rows if r.org_id != village_id)
    for r in rows:
        article_id = r.source_key.removeprefix("reading:")
        if article_id in by_id and Decimal(r.hours) != by_id[article_id].credit_hours:
            check.notes.append(f"hours {r.hours} on {r.source_key} of member {r.member_id}")

    run_ms = (result.last_end - result.first_start) * 1000
    check.run_elapsed_s = run_ms / 1000
    active_by_member: Counter[int] = Counter()
    first_by_member: dict[int, int] = {}
    for p in progress:
        key = (p.member_id, f"reading:{p.article_id}")
        state = result.states.get((p.member_id, p.article_id))
        active_by_member[p.member_id] += p.active_ms
        first_by_member[p.member_id] = min(first_by_member.get(p.member_id, p.first_beat_ms),
                                           p.first_beat_ms)
        required_ms = 1000 * by_id[p.article_id].required_seconds
        consistent = (p.credited == (key in actual)
                      and p.credited == (p.active_ms >= required_ms))
        if state is not None and not state.uncertain:
            consistent = consistent and state.active_seconds == p.active_ms // 1000
        if not consistent:
            check.progress_mismatch += 1
    for member_id, active_ms in active_by_member.items():
        # Each credit is at most the time since the member's previous accepted
        # beat, so the total is bounded by first-to-last beat and by the run.
        bound_run = run_ms + 1000 * CAP_SECONDS
        bound_clock = clocks.get(member_id, 0) - first_by_member[member_id]
        if active_ms > bound_run or active_ms > bound_clock:
            check.overrun_members += 1
        check.max_active_s = max(check.max_active_s, active_ms / 1000)
    return check


def report(args: argparse.Namespace, described: str, articles: list[ArticleSpec],
           phases: list[PhaseFigures], check: Check, idle_busy: float) -> dict[str, Any]:
    print(f"\nheartbeat benchmark: {args.clients} clients, {args.seconds:g} s per phase, "
          f"{described}")
    print(f"server: gunicorn --workers {args.workers} --worker-class {args.worker_class}"
          + (f" --threads {args.threads}" if args.worker_class == "gthread" else "")
          + (f" ({args.app})" if args.app != APP else "")
          + f"; load generator: {args.procs} processes, a thread per client; "
          f"{os.cpu_count()} cores")
    print(f"machine busy with other work just before the run: {idle_busy:.0%}")
    print("articles: " + ", ".join(f"{a.required_seconds}s→{a.credit_hours}h" for a in articles))
    print(f"\n{'phase':<11}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}"
          f"{'ok':>8}{'errors':>7}  CPU (2 cores = 100%): generator, gunicorn, database, "
          "machine")
    for f in phases:
        db_share = (f"{f.db_cpu:.0%}" if f.db_cpu is not None
                    else "in-process" if args.db == "sqlite" else "n/a")
        print(f"{f.name:<11}{f.rps:>8.1f}{f.p50_ms:>8.1f}{f.p90_ms:>8.1f}{f.p99_ms:>8.1f}"
              f"{f.max_ms:>8.1f}{f.ok:>8}{sum(f.errors.values()):>7}  "
              f"{f.generator_cpu:.0%}, {f.server_cpu:.0%}, {db_share}, {f.machine_cpu:.0%}")
        db_ms = (f", database {f.db_ms_per_request:.2f} ms" if f.db_ms_per_request is not None
                 else "")
        print(f"{'':<11}CPU per request: gunicorn {f.server_ms_per_request:.2f} ms{db_ms}; "
              "workers busy " + ", ".join(f"{cpu:.0%}" for cpu in f.per_worker_cpu)
              + " of a core")
        if f.others:
            print(f"{'':<11}other work on the machine: "
                  + "; ".join(f"{label} {cpu:.0%}" for label, cpu in f.others))
        if f.errors:
            print(f"{'':<11}errors: {dict(f.errors)}")
    heartbeat, trivial = phases[0], phases[1]
    ratio = heartbeat.rps / trivial.rps if trivial.rps else 0.0
    print(f"\nratio heartbeat/trivial: {ratio:.2f}")
    print(f"\ncredit check (ledger source_type 'reading' vs the last response per member "
          f"and article):\n  expected credited {check.expected_rows}, ledger rows "
          f"{check.ledger_rows}, lost {check.lost}, extra {check.extra} "
          f"(duplicates {check.duplicates}), uncertain {check.uncertain}")
    print(f"  hours: expected {check.expected_hours}, ledger {check.ledger_hours}; rows in "
          f"another org {check.wrong_org}; progress inconsistent {check.progress_mismatch}; "
          f"replays refused {check.refused}")
    print(f"  active time: max per member {check.max_active_s:.1f} s over a run of "
          f"{check.run_elapsed_s:.1f} s (cap {CAP_SECONDS} s); members over the bound "
          f"{check.overrun_members}")
    for note in check.notes[:10]:
        print(f"  note: {note}")
    met = {
        "ratio": ratio >= TARGETS["ratio"],
        "p99": heartbeat.p99_ms < TARGETS["heartbeat_p99_ms"],
        "lost": check.lost == 0,
        "extra": check.extra == 0,
    }
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return {
        "clients": args.clients, "db": args.db,
        "heartbeat_rps": round(heartbeat.rps, 1), "heartbeat_p99_ms": round(heartbeat.p99_ms, 1),
        "trivial_rps": round(trivial.rps, 1), "ratio": round(ratio, 3),
        "lost": check.lost, "extra": check.extra,
        "errors": sum(heartbeat.errors.values()) + sum(trivial.errors.values()),
        "uncertain": check.uncertain, "overrun": check.overrun_members,
        "worker_class": args.worker_class,
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync",
                        help="sync: measured best here (see the module docstring)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="wait up to this long for other work on the machine to stop")
    parser.add_argument("--app", default=APP,
                        help="the WSGI app for gunicorn (experiments with patched code)")
    parser.add_argument("--anonymous-ping", action="store_true",
                        help="also load /api/ping without the session cookie")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 2000 or not 1 <= args.seconds <= 600:
        parser.error("--clients 1..2000, --seconds 1..600")
    if not 1 <= args.procs <= 16 or not 1 <= args.threads <= 64:
        parser.error("--procs 1..16, --threads 1..64")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench_process()
    run_id = uuid.uuid4().hex[:8]
    try:
        with contextlib.ExitStack() as cleanup:
            workdir, site_dir = scratch(cleanup, "dj-heartbeat-")
            # Unwound in reverse: generator, then gunicorn, then the database server.
            url, described = cleanup.enter_context(database(args.db, workdir))
            articles = article_specs(run_id, args.seconds)
            specs, village_id = prepare_database(url, site_dir, run_id, args.clients, articles)
            port = free_port()
            log = workdir / "gunicorn.log"
            server = start_gunicorn(
                url, site_dir, port, log, workers=args.workers, worker_class=args.worker_class,
                threads=args.threads, app=args.app, settings={
                    "READING_MAX_CREDIT_SECONDS": str(CAP_SECONDS),
                    # the articles carry their own required times
                    "READING_REQUIRED_SECONDS_OVERRIDE": None})
            cleanup.callback(stop_process_group, server)
            wait_for_ping(port, server, log)
            load = LoadGenerator(args.procs, port, specs, articles, run_id)
            cleanup.callback(load.stop, graceful=False)
            load.wait_ready()
            idle_busy = wait_for_quiet(args.quiet_wait)
            postmaster = postmaster_pid(url) if args.db == "postgres" else None
            beats, beat_figures = measured_phase(load, "heartbeat", args.seconds, server.pid,
                                                 postmaster)
            _, ping_figures = measured_phase(load, "ping", args.seconds, server.pid, postmaster)
            phases = [beat_figures, ping_figures]
            if args.anonymous_ping:
                phases.append(measured_phase(load, "ping-anon", args.seconds, server.pid,
                                             postmaster)[1])
            load.stop()
            stop_process_group(server)  # every request has been answered and committed
            if server.returncode not in (0, -signal.SIGTERM):
                print(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
            check = check_database(url, site_dir, beats, articles, village_id,
                                   [s.member_id for s in specs])
            summary = report(args, described, articles, phases, check, idle_busy)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    print(json.dumps(summary, ensure_ascii=False))
    failed = summary["lost"] or summary["extra"] or summary["overrun"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
