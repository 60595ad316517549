"""The installation behind the newsroom's browser test (test_newsroom_publish_flow.py),
set up as ``make run`` sets one up, but under tmp_path and on a pinned clock.

``make run`` serves the app with gunicorn and runs ``flask newsroom-runner`` beside
it; both read their settings from the environment (learning_app/settings.py). The
test does the same, with this module's ``create_app`` as the app: the project's app
plus one difference, its clock. ``E2E_CLOCK_START`` (naive UTC, ISO) is what the
clock reads at ``E2E_CLOCK_EPOCH`` (a ``time.time()``); from there it runs at the
real pace. Every process (the test, both gunicorn workers, the runner) reads the
same clock, so a step the server records and the build the runner starts agree on
what time it is, and the articles' dates and the build's SITE_TODAY never depend
on the day the test runs.

The clock is put in where the app reads time: every ``utcnow`` and ``local_today``
the app's modules imported from ``learning_app.models.types`` (and those two
themselves, for modules imported later), the reading tracker's ``now_ms``, and the
newsroom's ``Jobs`` (the runner's build day, Huey's idea of when a task is due).
Nothing else in the process is touched: cookies and CSRF tokens keep the real time
the browser also has.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask

CLOCK_START_ENV = "E2E_CLOCK_START"
CLOCK_EPOCH_ENV = "E2E_CLOCK_EPOCH"
APP = "tests.e2e.newsroom_flow_helpers:create_app()"
ROOT = Path(__file__).resolve().parents[2]

Clock = Callable[[], dt.datetime]


def pinned_clock(start: dt.datetime, epoch: float) -> Clock:
    """Naive UTC: ``start`` at ``epoch``, then the real time elapsed since."""
    return lambda: start + dt.timedelta(seconds=time.time() - epoch)


def clock_env(start: dt.datetime, epoch: float) -> dict[str, str]:
    return {CLOCK_START_ENV: start.isoformat(), CLOCK_EPOCH_ENV: repr(epoch)}


def clock_from_env(environ: Mapping[str, str] = os.environ) -> Clock:
    return pinned_clock(dt.datetime.fromisoformat(environ[CLOCK_START_ENV]),
                        float(environ[CLOCK_EPOCH_ENV]))


def install_clock(clock: Clock) -> None:
    """Make the app's modules read ``clock`` (call after the app is created: its
    modules are imported by then)."""
    from learning_app.models import types
    from learning_app.reading import service as reading

    originals = {"utcnow": types.utcnow, "local_today": types.local_today}
    fakes: dict[str, Callable[[], object]] = {
        "utcnow": clock, "local_today": lambda: types.local_date(clock())}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "learning_app" or name.startswith("learning_app.")):
            continue
        for attr, original in originals.items():
            if getattr(module, attr, None) is original:
                setattr(module, attr, fakes[attr])
    # The heartbeat's clock (epoch ms): the sign-in's expiry it checks is on ours.
    reading.now_ms = lambda: int(clock().replace(tzinfo=dt.UTC).timestamp() * 1000)


def create_app() -> Flask:
    """The project's app on the pinned clock: gunicorn's app and the runner's."""
    from learning_app import create_app as project_app
    from learning_app.newsroom import jobs

    app = project_app()
    clock = clock_from_env()
    install_clock(clock)
    app.extensions[jobs.EXTENSION] = jobs.make_jobs(app, clock=clock)
    return app


# -- the processes ------------------------------------------------------------------------


def start(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process in its own session (so it and its children stop together), output
    to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_server(port: int, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """gunicorn with two workers, as ``make run`` serves the portal."""
    return start([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                  "--timeout", "120", APP], env, log)


def start_runner(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``flask newsroom-runner``: the Huey consumer that builds the site."""
    return start([sys.executable, "-m", "flask", "--app", APP, "newsroom-runner"], env, log)


def stop(process: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    """SIGTERM to the process's own group (it and the builds it started), then
    SIGKILL if it is still there after ``grace_s``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for(url: str, check: Callable[[int, bytes], bool], *, timeout_s: float,
             process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until ``check(status, body)``; fail with the log if the process
    died or the time ran out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited ({process.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, b""
        except OSError:
            status, body = 0, b""
        if check(status, body):
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {timeout_s:.0f}s:\n{tail(log)}")
