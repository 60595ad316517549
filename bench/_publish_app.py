"""The app of bench/publish.py's job runner: the project's app, on the bench's clock.

``flask --app bench/_publish_app.py newsroom-runner`` is the production runner
(``learning_app``'s command, its Huey consumer, ``builds.run_pending``) with one
difference: its ``Jobs`` read a clock that starts at a pinned moment and runs at
the real pace, so the build's publishing day (``SITE_TODAY``) and the article's
date never depend on the day the benchmark is run. The bench process reads the
same clock (``bench_clock``), so both agree on what time it is.

The settings come from the environment as usual (learning_app/settings.py):
DATABASE_URL, SITE_DIR, CONTENT_DIR, MKDOCS_CONFIG, HUEY_SQLITE_PATH, …
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Callable

from flask import Flask

from learning_app import create_app as project_app
from learning_app.newsroom import jobs

# An experiment, off unless set: the Huey worker's longest sleep between polls of an
# empty queue (Huey's default, used by `flask newsroom-runner`, is 10 s).
MAX_DELAY_ENV = "BENCH_RUNNER_MAX_DELAY"
START_ENV = "BENCH_CLOCK_START"  # the clock's reading (naive UTC, ISO) at EPOCH
EPOCH_ENV = "BENCH_CLOCK_EPOCH"  # time.time() at that reading


def bench_clock() -> Callable[[], dt.datetime]:
    """Naive UTC: the pinned start plus the real time elapsed since the epoch."""
    start = dt.datetime.fromisoformat(os.environ[START_ENV])
    epoch = float(os.environ[EPOCH_ENV])
    return lambda: start + dt.timedelta(seconds=time.time() - epoch)


def install_clock(app: Flask) -> jobs.Jobs:
    """The app's Jobs (what ``jobs_for`` returns), made on the bench's clock."""
    made = app.extensions[jobs.EXTENSION] = jobs.make_jobs(app, clock=bench_clock())
    return made


def create_app() -> Flask:
    app = project_app()
    made = install_clock(app)
    if os.environ.get(MAX_DELAY_ENV):
        made.huey.create_consumer = functools.partial(  # type: ignore[method-assign]
            made.huey.create_consumer, max_delay=float(os.environ[MAX_DELAY_ENV]))
    return app
