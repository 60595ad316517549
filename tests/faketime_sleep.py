"""A pytest plugin for the unit suite run under Debian's faketime (.ci/run loads it
with ``-p tests.faketime_sleep``).

libfaketime 0.9.10 with ``--exclude-monotonic`` breaks Python's ``time.sleep``: its
``clock_nanosleep(TIMER_ABSTIME)`` wrapper shifts a monotonic deadline by the fake
offset and the call fails with EINVAL. Faking the monotonic clock as well is worse:
every timed wait (a thread join, a lock with a timeout) then waits for the fake
year. So monotonic stays real and ``time.sleep`` becomes a timed wait, which
libfaketime leaves alone.
"""

from __future__ import annotations

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep
