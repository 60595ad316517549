"""Publishing from the newsroom: 终审签发 to the article served, against a bare build.

A throwaway installation in the system temp dir (never the tracked tree): a copy
of the project's content plus N synthetic articles (``site_build.generate``), the
project's mkdocs.yml pointed at it, a migrated SQLite app with three review levels,
and a first live build made by ``builds.run_pending`` (what ``flask build-site``
does). Then, as ``make run`` does, gunicorn serves the site and the app, and the
real job runner (``flask newsroom-runner``, Huey consumer) waits for builds.

Readers request existing article pages, the home page and a stylesheet from a few
threads for the whole measurement; any non-200 answer or connection error counts.

The measured publish goes through the newsroom's service like an editor and
three reviewers would: create, submit, 初审, 复审, and ``final_approve`` with
``jobs.publish_signed``. The clock starts just before the final approval and
stops when ``GET`` of the article's URL answers 200 with its title. The reference
is a bare ``mkdocs build --strict`` of the same project (same config, same N+1
articles, same QR-code cache), run after the publish with the readers still on.

Dates: the bench process and the runner read one clock (bench/_publish_app.py)
pinned at 09:00 Beijing time on ``site_build.TODAY`` and running at the real pace,
so neither the article's date nor the build's ``SITE_TODAY`` is the machine's date.

    python bench/publish.py --articles 1000

The last line is one JSON object:
{"articles", "publish_to_live_s", "bare_build_s", "ratio", "reader_errors"}.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _publish_app
from harness import (
    HttpClient,
    bench_process,
    free_port,
    start_gunicorn,
    stop_process_group,
    tail,
    wait_for_ping,
    wait_for_quiet,
)
from site_build import TODAY, generate
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
# 09:00 in Beijing on the generated content's newest day, as the app's naive UTC.
CLOCK_START = dt.datetime.combine(TODAY, dt.time(9, 0)) - dt.timedelta(hours=8)
RUNNER_READY = "在线采编运行器已启动"
LIVE_TIMEOUT_S = 1800.0
TASK_DONE = re.compile(r"newsroom\.build: \S+ executed in ([0-9.]+)s")
BODY = ("县委组织部召开会议，部署今冬明春党员冬训和防返贫动态监测工作。\n\n"
        "## 会议要求\n\n各乡镇党委要把冬训与帮扶结合起来，按期完成入户走访。\n")


@dataclass
class Readers:
    """Threads that read the live site until stopped; failures are counted."""

    port: int
    paths: list[str]
    threads: int
    rate: float  # requests per second, all threads together
    stop: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, args=(number,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def finish(self) -> None:
        self.stop.set()
        for worker in self._workers:
            worker.join(30)

    def _run(self, number: int) -> None:
        client = HttpClient(self.port)
        interval = self.threads / self.rate
        index = number
        next_at = time.monotonic()
        while not self.stop.is_set():
            path = self.paths[index % len(self.paths)]
            index += self.threads
            problem = None
            try:
                status, _body = client.request("GET", path)
                if status != 200:
                    problem = f"{path}: HTTP {status}"
            except Exception as exc:  # any failure to get a page is a reader's error
                client.close()
                problem = f"{path}: {type(exc).__name__}: {exc}"
            with self._lock:
                self.requests += 1
                if problem:
                    self.errors += 1
                    if len(self.samples) < 10:
                        self.samples.append(problem)
            next_at += interval
            self.stop.wait(max(0.0, next_at - time.monotonic()))
        client.close()


@dataclass
class Instance:
    """The throwaway installation: where everything is, and the processes."""

    workdir: Path
    project: Path
    env: dict[str, str]
    port: int = 0


def prepare(workdir: Path, n: int, months: int, seed: int) -> Instance:
    project = workdir / "project"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    generate(project, n, months, seed)
    instance = workdir / "instance"
    instance.mkdir(mode=0o700)
    env = {
        "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
        "SITE_DIR": str(instance / "site-live"),
        "SITE_BUILDS_DIR": str(instance / "site-builds"),
        "CONTENT_DIR": str(project / "content"),
        "MKDOCS_CONFIG": str(project / "mkdocs.yml"),
        "HUEY_SQLITE_PATH": str(instance / "newsroom-jobs.db"),
        # New ids go to the instance, as with `make run` (absolute: no doubt where).
        "SITE_REGISTRY": str(instance / "article-ids"),
        "HUEY_IMMEDIATE": "0",
        "NO_MKDOCS_2_WARNING": "1",
        _publish_app.START_ENV: CLOCK_START.isoformat(),
        _publish_app.EPOCH_ENV: repr(time.time()),
    }
    os.environ.update(env)  # this process's app and its mkdocs builds read them too
    return Instance(workdir, project, env)


@dataclass
class Desk:
    editor: Any
    reviewers: list[Any]  # 初审, 复审, 终审签发


def make_app(inst: Instance) -> Any:
    from learning_app import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": inst.env["DATABASE_URL"],
        "SITE_DIR": inst.env["SITE_DIR"], "SITE_FALLBACK_DIR": None,
        "SITE_BUILDS_DIR": inst.env["SITE_BUILDS_DIR"],
        "CONTENT_DIR": inst.env["CONTENT_DIR"], "MKDOCS_CONFIG": inst.env["MKDOCS_CONFIG"],
        "HUEY_SQLITE_PATH": inst.env["HUEY_SQLITE_PATH"], "HUEY_IMMEDIATE": False,
        "SECRET_KEY": os.environ["SECRET_KEY"],
    })
    _publish_app.install_clock(app)  # publish_signed's Jobs: the bench's clock
    return app


def set_up_desk(clock: Callable[[], dt.datetime]) -> Desk:
    """One county, an editor, a county admin and a reviewer at each of the three
    seeded levels (service.configure_levels, as the settings page does)."""
    from learning_app.admin.memberships import open_membership
    from learning_app.extensions import db
    from learning_app.models import Member
    from learning_app.models.orgs import add_organization
    from learning_app.newsroom import service

    county = add_organization(db.session, code="QC", name="中共青川县委", kind="county")
    people = []
    for number, (name, role) in enumerate([("县管理员", "county_admin"), ("宣传编辑", "editor"),
                                           ("初审人", "member"), ("复审人", "member"),
                                           ("终审人", "member")], start=1):
        member = Member(code=f"B{number:04d}", name=name, phone=f"1390000{number:04d}",
                        role=role)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, county, dt.date(2020, 1, 1))
        people.append(member)
    db.session.commit()
    admin, editor, *reviewers = people
    service.configure_levels(db.session, admin, [
        ("初审", [reviewers[0].id]), ("复审", [reviewers[1].id]),
        ("终审签发", [reviewers[2].id])], clock())
    return Desk(editor, reviewers)


def initial_build(app: Any, clock: Callable[[], dt.datetime]) -> float:
    """The first live build, the way `flask build-site` makes it; its seconds."""
    from learning_app.extensions import db
    from learning_app.models import SiteBuild
    from learning_app.newsroom import builds

    layout = builds.SiteLayout.from_config(app.config)
    start = time.perf_counter()
    build_id = builds.request_build(db.session, "基准测试：首次构建", now=clock())
    builds.run_pending(db.session, layout, clock=clock)
    elapsed = time.perf_counter() - start
    build = db.session.get(SiteBuild, build_id)
    if build is None or build.status != "live":
        sys.exit(f"the first build failed:\n{build.error if build else '(no row)'}")
    return elapsed


def reader_paths(live: Path, rng: random.Random, pages: int) -> list[str]:
    """Existing article pages (from the build's manifest), the home page, an asset."""
    manifest = json.loads((live / "learning-manifest.json").read_text(encoding="utf-8"))
    urls = sorted(entry["url"] for entry in manifest["articles"])
    paths = rng.sample(urls, min(pages, len(urls)))
    stylesheet = next((live / "assets" / "stylesheets").glob("main.*.css"))
    paths += ["/", "/" + stylesheet.relative_to(live).as_posix()]
    return paths


@contextlib.contextmanager
def runner(inst: Instance, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`flask newsroom-runner` (the production command) on the bench's clock."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", str(BENCH / "_publish_app.py"),
             "newsroom-runner"],
            cwd=ROOT, env={**os.environ, **inst.env}, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while RUNNER_READY not in log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the job runner did not start:\n{tail(log)}")
            time.sleep(0.2)
        yield process
    finally:
        stop_process_group(process)


@dataclass
class Publish:
    total_s: float  # final approval started → the article served with its title
    approve_s: float  # final_approve itself (file written, build requested, committed)
    build_id: int
    timeline: dict[str, float]  # seconds after the final approval started


def publish_one(app: Any, desk: Desk, port: int, number: int,
                clock: Callable[[], dt.datetime], poll_s: float, runner_log: Path,
                profile: bool) -> Publish:
    """One article through the workflow; the timed part is 终审签发 → served."""
    from learning_app.extensions import db
    from learning_app.models import NewsArticle, SiteBuild
    from learning_app.newsroom import jobs, service

    article_id = f"bench-publish-{number:03d}"
    title = f"县委组织部部署党员冬训工作（第{number}次发布测试）"
    front_matter = {"title": title, "date": TODAY.isoformat(),
                    "summary": "县委组织部部署今冬明春党员冬训和防返贫动态监测工作"}
    article = service.create_article(db.session, desk.editor, section="news",
                                     article_id=article_id, front_matter=front_matter,
                                     body=BODY, now=clock())
    pk, revision_id = article.id, article.current_revision_id
    url = "/" + article.path.removesuffix(".md") + "/"
    service.submit(db.session, pk, desk.editor, revision_id=revision_id, now=clock())
    for level, reviewer in enumerate(desk.reviewers[:2], start=1):
        service.approve(db.session, pk, reviewer, level=level, revision_id=revision_id,
                        now=clock())
    builds_before = set(db.session.scalars(select(SiteBuild.id)))
    db.session.commit()

    client = HttpClient(port)
    status, _ = client.request("GET", url)
    if status != 404:
        sys.exit(f"{url} answered {status} before it was signed off")
    now = clock()  # the rows' moments below are on this clock: seconds after ``now``
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    service.final_approve(db.session, pk, desk.reviewers[2], level=3, revision_id=revision_id,
                          now=now, secrecy_confirmed=True,
                          publish=lambda s, a, r: jobs.publish_signed(s, a, r, now=now))
    if profiler is not None:
        profiler.disable()
    approved = time.perf_counter()
    polls = 0
    while True:
        polls += 1
        status, body = client.request("GET", url)
        if status == 200 and title.encode() in body:
            break
        if time.perf_counter() - start > LIVE_TIMEOUT_S:
            sys.exit(f"{url} not served with its title after {LIVE_TIMEOUT_S:.0f} s")
        time.sleep(poll_s)
    served = time.perf_counter()
    client.close()

    # What the runner did meanwhile, from its rows (on the shared clock).
    db.session.expire_all()
    deadline = time.monotonic() + 600
    while True:
        item = db.session.get(NewsArticle, pk)
        new = list(db.session.scalars(select(SiteBuild).where(
            SiteBuild.id.not_in(builds_before)).order_by(SiteBuild.id)))
        db.session.commit()
        if item is not None and item.state == "published" and all(
                b.status in ("live", "failed") for b in new):
            break
        if time.monotonic() > deadline:
            sys.exit("the runner did not finish the publish's build")
        time.sleep(0.2)
        db.session.expire_all()

    def after(moment: dt.datetime | None) -> float:
        if moment is None:
            return float("nan")
        return (moment - now).total_seconds()

    timeline = {"approved": approved - start, "served": served - start}
    for build in new:
        timeline[f"build {build.id} requested"] = after(build.requested_at)
        timeline[f"build {build.id} started"] = after(build.started_at)
        timeline[f"build {build.id} {build.status}"] = after(build.finished_at)
    timeline["marked published (went_live_at)"] = after(item.went_live_at)
    tasks = TASK_DONE.findall(runner_log.read_text(encoding="utf-8", errors="replace"))
    if tasks:  # the Huey task: claim, build, switch, then sync, mark published, prune
        timeline["runner task (whole)"] = float(tasks[-1])
    timeline["polls"] = polls
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print("final_approve, cumulative (top 25):\n" + out.getvalue(), flush=True)
    return Publish(served - start, approved - start, new[0].id if new else 0, timeline)


def bare_build(inst: Instance, out: Path) -> float:
    """`mkdocs build --strict` of the project as it is now: the reference."""
    env = {**os.environ, **inst.env, "SITE_TODAY": TODAY.isoformat(), "SITE_PREVIEW": "false"}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                             "-d", str(out)], cwd=inst.project, env=env,
                            capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bare build failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="existing articles")
    parser.add_argument("--months", type=int, default=60, help="monthly issues to spread over")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=1,
                        help="publishes and bare builds, interleaved; the medians count")
    parser.add_argument("--readers", type=int, default=3, help="reader threads")
    parser.add_argument("--reader-rate", type=float, default=20.0,
                        help="reader requests per second, all threads together")
    parser.add_argument("--idle", type=float, default=75.0,
                        help="seconds the runner sits idle before each publish (in "
                             "production it has usually been idle for long: Huey's "
                             "polling has backed off to its maximum)")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between checks "
                        "of the article's URL")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of final_approve (the file write, the "
                             "build request)")
    parser.add_argument("--runner-max-delay", type=float, default=None,
                        help="experiment: the runner's Huey worker polls an empty queue "
                             "at least this often (default: Huey's own, 10 s, as "
                             "`flask newsroom-runner` runs it)")
    args = parser.parse_args()
    bench_process()

    with contextlib.ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="dj-publish-"))
        if args.keep:
            print(f"work directory (kept): {workdir}", flush=True)
        else:
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        inst = prepare(workdir, args.articles, args.months, args.seed)
        if args.runner_max_delay is not None:
            inst.env[_publish_app.MAX_DELAY_ENV] = str(args.runner_max_delay)
            print(f"EXPERIMENT: runner's Huey max_delay {args.runner_max_delay:g} s "
                  "(not the production setting)", flush=True)
        print(f"content: {args.articles} synthetic articles over {args.months} issues "
              f"(+ the real content) in {inst.project}", flush=True)
        clock = _publish_app.bench_clock()
        app = make_app(inst)
        cleanup.enter_context(app.app_context())

        from flask_migrate import upgrade

        from learning_app.extensions import db

        upgrade()
        cleanup.callback(db.engine.dispose)
        desk = set_up_desk(clock)
        busy = wait_for_quiet(120)
        first = initial_build(app, clock)
        print(f"first live build (builds.run_pending, cold QR cache): {first:.2f} s "
              f"(machine {busy:.0%} busy before)", flush=True)

        live = Path(inst.env["SITE_DIR"])
        paths = reader_paths(live, random.Random(args.seed), 20)
        inst.port = free_port()
        gunicorn_log = workdir / "gunicorn.log"
        server = start_gunicorn(inst.env["DATABASE_URL"], live, inst.port, gunicorn_log,
                                workers=2, settings=inst.env)
        cleanup.callback(stop_process_group, server)
        wait_for_ping(inst.port, server, gunicorn_log)
        print(f"gunicorn -w 2 on 127.0.0.1:{inst.port}; job runner starting", flush=True)
        cleanup.enter_context(runner(inst, workdir / "runner.log"))
        readers = Readers(inst.port, paths, args.readers, args.reader_rate)
        readers.start()
        cleanup.callback(readers.finish)
        print(f"readers: {args.readers} threads, {args.reader_rate:g} requests/s over "
              f"{len(paths)} paths", flush=True)

        publishes: list[Publish] = []
        bares: list[float] = []
        for number in range(1, args.repeat + 1):
            print(f"[{number}] runner idle for {args.idle:g} s first", flush=True)
            time.sleep(args.idle)
            busy = wait_for_quiet(30)
            done = publish_one(app, desk, inst.port, number, clock, args.poll,
                               workdir / "runner.log", args.profile)
            publishes.append(done)
            steps = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                              for k, v in done.timeline.items())
            print(f"[{number}] publish_to_live {done.total_s:.2f} s (machine {busy:.0%} "
                  f"busy before); seconds after 终审签发: {steps}", flush=True)
            busy = wait_for_quiet(30)
            bare = bare_build(inst, workdir / "bare-site")
            bares.append(bare)
            print(f"[{number}] bare mkdocs build: {bare:.2f} s (machine {busy:.0%} busy "
                  "before)", flush=True)

        readers.finish()
        print(f"readers: {readers.requests} requests, {readers.errors} failed"
              + (f": {readers.samples}" if readers.samples else ""), flush=True)
        if readers.requests == 0:
            sys.exit("the readers made no request")

    publish_s = statistics.median(p.total_s for p in publishes)
    bare_s = statistics.median(bares)
    print(json.dumps({"articles": args.articles, "publish_to_live_s": round(publish_s, 2),
                      "bare_build_s": round(bare_s, 2), "ratio": round(publish_s / bare_s, 3),
                      "reader_errors": readers.errors}))


if __name__ == "__main__":
    main()
