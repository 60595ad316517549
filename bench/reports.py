"""Participation reports at province scale: rollups against a naive aggregate (contract 5).

1. A fresh database (SQLite WAL file, or PostgreSQL: ``DATABASE_URL`` when set,
   otherwise a throwaway server with fsync off: bulk loading is not what is
   measured) is migrated with Flask-Migrate's ``upgrade``.
2. A province slice is generated in SQL: M members, 30 per village, in
   villages → townships (15 per county) → counties (~10,000 members each) →
   cities (~10 counties each) → the province; 10 % branch secretaries, 3 %
   exempt, 2 % transferred between villages on 2026-08-01, 1 % joined in
   2026-H2; about 40 ledger rows per member spread over 2025-12-01 …
   2026-11-25; the 2026-H1 and 2026-H2 tests with an attempt by 60 % of the
   members. Triggers are off while loading on PostgreSQL (the rollups are
   built in full afterwards, as ``flask report build`` does).
3. The 2026-H2 rollup is built (``rollup.build``) and timed apart.
4. Timed, median of ``--repeat`` warm runs: the report at the root and at one
   county (``figures.report`` without months: the rollups' currency check and
   refresh, the subtree's figures and each child's), against the naive
   aggregate — the same definitions computed straight from the ledger,
   memberships and attempts for the root. The two must agree exactly.

    .venv/bin/python bench/reports.py --members 100000 --db postgres
    .venv/bin/python bench/reports.py --members 1000000 --db postgres

The last line is one JSON object: {"members", "ledger_rows", "db", "root_ms",
"county_ms", "naive_root_ms", "speedup", ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness import bench_process, database, make_app, scratch

PER_VILLAGE = 30
TOWNSHIPS_PER_COUNTY = 15
ROWS_PER_MEMBER = 40
TODAY = dt.date(2026, 11, 26)
PERIOD = "2026-H2"
TARGETS = {"root_ms": 500.0, "county_ms": 100.0, "speedup": 20.0}


# --------------------------------------------------------------------------- the slice


def shape(members: int) -> dict[str, int]:
    counties = max(2, round(members / 10_000))
    cities = max(1, round(counties / 10))
    villages_per_township = max(1, math.ceil(members / (PER_VILLAGE * counties
                                                         * TOWNSHIPS_PER_COUNTY)))
    return {"cities": cities, "counties": counties, "townships_per_county": TOWNSHIPS_PER_COUNTY,
            "villages_per_township": villages_per_township}


def org_rows(members: int) -> tuple[list[dict[str, Any]], list[int], int]:
    """Organizations with explicit ids and paths; the village ids; one county's id."""
    layout = shape(members)
    rows: list[dict[str, Any]] = []
    villages: list[int] = []

    def add(code: str, name: str, kind: str, parent: dict[str, Any] | None) -> dict[str, Any]:
        org_id = len(rows) + 1
        row = {"id": org_id, "code": code, "name": name, "kind": kind,
               "parent_id": parent["id"] if parent else None,
               "path": (parent["path"] if parent else "/") + f"{org_id}/",
               "depth": parent["depth"] + 1 if parent else 0, "sort_order": len(rows)}
        rows.append(row)
        return row

    root = add("P", "压测省委", "province", None)
    counties = []
    for c in range(layout["cities"]):
        city = add(f"P-{c:02d}", f"压测第{c + 1}市委", "city", root)
        for k in range(layout["counties"] // layout["cities"]
                       + (1 if c < layout["counties"] % layout["cities"] else 0)):
            county = add(f"{city['code']}-{k:02d}", f"{city['name']}第{k + 1}县委", "county",
                         city)
            counties.append(county)
            for t in range(TOWNSHIPS_PER_COUNTY):
                town = add(f"{county['code']}-{t:02d}", f"第{t + 1}乡镇党委", "township",
                           county)
                for v in range(layout["villages_per_township"]):
                    villages.append(add(f"{town['code']}-{v:02d}", f"第{v + 1}村党支部",
                                        "village", town)["id"])
    return rows, villages, counties[0]["id"]


def date_literal(dialect: str, day: str) -> str:
    return f"DATE '{day}'" if dialect == "postgresql" else f"'{day}'"


def add_days(dialect: str, base: str, days: str) -> str:
    if dialect == "postgresql":
        return f"(DATE '{base}' + CAST({days} AS integer))"
    return f"date('{base}', '+' || ({days}) || ' days')"


def generate(conn: Any, dialect: str, members: int) -> dict[str, int]:
    """Write the slice with set-based SQL; returns row counts."""
    from sqlalchemy import text

    orgs, villages, county_id = org_rows(members)
    conn.execute(text("INSERT INTO organizations (id, code, name, kind, parent_id, path, depth, "
                      "sort_order) VALUES (:id, :code, :name, :kind, :parent_id, :path, :depth, "
                      ":sort_order)"), orgs)
    # A numbers table drives every INSERT … SELECT (generate_series is PostgreSQL only).
    conn.execute(text("CREATE TABLE bench_n (n integer PRIMARY KEY)"))
    conn.execute(text("INSERT INTO bench_n (n) VALUES (:n)"),
                 [{"n": n} for n in range(max(members, len(villages), ROWS_PER_MEMBER))])
    conn.execute(text("CREATE TABLE bench_village (k integer PRIMARY KEY, org_id integer)"))
    conn.execute(text("INSERT INTO bench_village (k, org_id) VALUES (:k, :o)"),
                 [{"k": k, "o": o} for k, o in enumerate(villages)])
    v = len(villages)
    true = "TRUE" if dialect == "postgresql" else "1"
    false = "FALSE" if dialect == "postgresql" else "0"
    now = "CURRENT_TIMESTAMP"
    # Member i lives in village (i mod v); 1 in 50 moved there on 2026-08-01 from village
    # (i + 1) mod v; 1 in 100 joined on a day in 2026-H2; 3 % are exempt.
    conn.execute(text(f"""
        INSERT INTO members (id, code, name, phone, category, exempt, exempt_reason, status,
                             org_id, role, must_change_password, auth_version, created_at,
                             updated_at)
        SELECT n + 1, 'B' || n, '党员' || n, NULL,
               CASE WHEN n % 10 = 0 THEN 'secretary' ELSE 'member' END,
               CASE WHEN n % 33 = 7 THEN {true} ELSE {false} END,
               CASE WHEN n % 33 = 7 THEN '年老体弱' END, 'active',
               (SELECT org_id FROM bench_village WHERE k = n % {v}), 'member', {true}, 1,
               {now}, {now}
        FROM bench_n WHERE n < {members}"""))
    joined = add_days(dialect, "2015-01-01", "(n * 7) % 3650")
    late = add_days(dialect, "2026-07-01", "(n * 13) % 150")
    conn.execute(text(f"""
        INSERT INTO memberships (member_id, org_id, started_on, ended_on, note)
        SELECT n + 1, (SELECT org_id FROM bench_village WHERE k = (n + 1) % {v}), {joined},
               {date_literal(dialect, "2026-07-31")}, NULL
        FROM bench_n WHERE n < {members} AND n % 50 = 3"""))
    conn.execute(text(f"""
        INSERT INTO memberships (member_id, org_id, started_on, ended_on, note)
        SELECT n + 1, (SELECT org_id FROM bench_village WHERE k = n % {v}),
               CASE WHEN n % 50 = 3 THEN {add_days(dialect, '2026-08-01', '0')}
                    WHEN n % 100 = 11 THEN {late} ELSE {joined} END, NULL, NULL
        FROM bench_n WHERE n < {members}"""))
    # Ledger: ~40 rows a member, dated over the year before TODAY; a moved member's rows
    # before 2026-08-01 belong to the old village, and a late joiner has none before joining.
    day = "((m.n * 37 + r.n * 9973) % 360)"
    earned_on = add_days(dialect, "2025-12-01", day)
    if dialect == "postgresql":
        earned_at = f"CAST({earned_on} AS timestamp) + INTERVAL '2 hours'"
    else:
        earned_at = f"datetime('2025-12-01', '+' || {day} || ' days', '+2 hours')"
    move_day = "(DATE '2026-08-01' - DATE '2025-12-01')" if dialect == "postgresql" else "243"
    join_day = ("(DATE '2026-07-01' - DATE '2025-12-01' + (m.n * 13) % 150)"
                if dialect == "postgresql" else "(212 + (m.n * 13) % 150)")
    conn.execute(text(f"""
        INSERT INTO credit_entries (member_id, org_id, source_type, source_key, hours,
                                    earned_at, earned_on, recorded_by, note)
        SELECT m.n + 1,
               CASE WHEN m.n % 50 = 3 AND {day} < {move_day}
                    THEN (SELECT org_id FROM bench_village WHERE k = (m.n + 1) % {v})
                    ELSE (SELECT org_id FROM bench_village WHERE k = m.n % {v}) END,
               CASE WHEN r.n % 8 = 0 THEN 'training' ELSE 'reading' END,
               'bench:' || r.n, (1 + (m.n + r.n * 7) % 10) * 0.1 + CASE WHEN r.n % 8 = 0
                                                                   THEN 2 ELSE 0 END,
               {earned_at}, {earned_on}, NULL, NULL
        FROM bench_n m CROSS JOIN bench_n r
        WHERE m.n < {members} AND r.n < {ROWS_PER_MEMBER} AND (m.n * 31 + r.n) % 20 <> 0
          AND NOT (m.n % 100 = 11 AND {day} < {join_day})"""))
    json_param = "CAST(:definition AS json)" if dialect == "postgresql" else ":definition"
    for test_id, opens, day_of in (("2026-H1", "2026-05-10T08:00:00+08:00", "2026-05-20"),
                                   ("2026-H2", "2026-11-23T08:00:00+08:00", "2026-11-24")):
        conn.execute(text("INSERT INTO quiz_tests (id, title, definition, loaded_at) VALUES "
                          f"(:id, :id, {json_param}, CURRENT_TIMESTAMP)"),
                     {"id": test_id, "definition": json.dumps(
                         {"id": test_id, "opens": opens, "practice": False, "audience": "all"})})
        stamp = f"'{day_of} 03:00:00'"
        conn.execute(text(f"""
            INSERT INTO quiz_attempts (test_id, member_id, number, seed, started_at, deadline_at,
                                       status, submitted_at, score, max_score, passed, graded_at)
            SELECT :t, n + 1, 1, n, {stamp}, NULL, 'submitted', {stamp}, (n * 7) % 100, 100,
                   CASE WHEN (n * 7) % 100 >= 30 THEN {true} ELSE {false} END, {stamp}
            FROM bench_n WHERE n < {members} AND n % 5 < 3"""), {"t": test_id})
    for table in ("bench_n", "bench_village"):
        conn.execute(text(f"DROP TABLE {table}"))
    count = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
             for table in ("organizations", "members", "memberships", "credit_entries",
                           "quiz_attempts")}
    count["county_id"] = county_id
    return count


# --------------------------------------------------------------------------- measuring


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in ms of ``repeat`` runs after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def naive_root(session: Any, key: str) -> Any:
    """The root's counts straight from the ledger, memberships and attempts."""
    from sqlalchemy import text

    from learning_app.reports.participation import Counts, parse_period
    from learning_app.reports.rollup import period_params, period_tests, share_queries

    period = parse_period(key)
    dialect = session.get_bind().dialect.name
    stats, hours, extra = share_queries(dialect, period_tests(session, period), filtered=False)
    params = {**period_params(period, TODAY), **extra}
    row = session.execute(text(f"""
        SELECT SUM(CASE WHEN exempt THEN 0 ELSE 1 END), SUM(CASE WHEN exempt THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempt AND hours > 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempt AND hours >= target THEN 1 ELSE 0 END),
               SUM(CASE WHEN exempt THEN 0 ELSE eligible END),
               SUM(CASE WHEN exempt THEN 0 ELSE submitted END),
               SUM(CASE WHEN exempt THEN 0 ELSE passed END)
        FROM ({stats}) s"""), params).one()
    total = session.execute(text(f"SELECT SUM(hours) FROM ({hours}) h"), params).scalar_one()
    return Counts(*(int(x or 0) for x in row),
                  hours=Decimal(str(total or 0)).quantize(Decimal("0.01")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--naive-repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not 100 <= args.members <= 5_000_000:
        parser.error("--members 100..5000000")
    bench_process()
    with contextlib.ExitStack() as cleanup:
        workdir, site_dir = scratch(cleanup, "dj-reports-bench-")
        url, described = cleanup.enter_context(database(args.db, workdir, fast=True))
        summary = run(args, url, described, site_dir)
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["agree"] else 1


def run(args: argparse.Namespace, url: str, described: str, site_dir: Path) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from learning_app.extensions import db
    from learning_app.models import Organization
    from learning_app.reports.figures import report
    from learning_app.reports.rollup import build

    app = make_app(url, site_dir)
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        with db.engine.begin() as conn:
            dialect = conn.dialect.name
            if dialect == "postgresql":  # the load is followed by a full build
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            counts = generate(conn, dialect, args.members)
            conn.execute(text("DELETE FROM report_dirty"))
        if dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        load_s = time.perf_counter() - began
        print(f"slice: {counts['organizations']} organizations {shape(args.members)}, "
              f"{counts['members']} members, {counts['memberships']} memberships, "
              f"{counts['credit_entries']} ledger rows, {counts['quiz_attempts']} attempts; "
              f"loaded in {load_s:.1f} s ({described})", flush=True)
        began = time.perf_counter()
        build(db.session, PERIOD, TODAY)
        build_s = time.perf_counter() - began
        print(f"rollup {PERIOD} built in {build_s:.1f} s", flush=True)
        root = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        county = db.session.get(Organization, counts["county_id"])
        assert root is not None and county is not None

        def at(org: Organization) -> Callable[[], Any]:
            def one() -> Any:
                result = report(db.session, org, PERIOD, today=TODAY, with_months=False)
                db.session.commit()
                return result
            return one

        root_ms, root_report = timed(at(root), args.repeat)
        county_ms, county_report = timed(at(county), args.repeat)
        naive_ms, naive = timed(lambda: naive_root(db.session, PERIOD), args.naive_repeat)
        db.session.commit()
    agree = naive == root_report.figures.counts
    c = root_report.figures
    print(f"\nreport {PERIOD} at the root ({len(root_report.children)} cities): {root_ms:.1f} ms;"
          f" at one county ({len(county_report.children)} townships): {county_ms:.1f} ms; "
          f"naive aggregate at the root: {naive_ms:.1f} ms")
    print(f"root figures: 应学 {c.counts.on_roll}, 参学率 {c.participation:.3f}, 达标率 "
          f"{c.attainment:.3f}, 人均 {c.hours_per_member}, 参考率 {c.test_rate:.3f}, 合格率 "
          f"{c.pass_rate:.3f}; naive aggregate {'agrees' if agree else 'DISAGREES: ' + str(naive)}")
    speedup = naive_ms / root_ms if root_ms else 0.0
    figures = {"root_ms": root_ms, "county_ms": county_ms, "speedup": speedup}
    met = [f"{k} {'met' if (v >= TARGETS[k] if k == 'speedup' else v < TARGETS[k]) else 'MISSED'}"
           for k, v in figures.items()]
    print("targets (PostgreSQL, 1,000,000 members): " + ", ".join(met))
    return {"members": counts["members"], "ledger_rows": counts["credit_entries"],
            "db": args.db, "root_ms": round(root_ms, 1), "county_ms": round(county_ms, 1),
            "naive_root_ms": round(naive_ms, 1), "speedup": round(speedup, 1),
            "build_s": round(build_s, 1), "load_s": round(load_s, 1), "agree": agree}


if __name__ == "__main__":
    sys.exit(main())
