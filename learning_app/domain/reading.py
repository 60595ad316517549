"""How a reading heartbeat turns into credited reading time (contract 3).

The browser only says "this view of this article is still being read"; the
server decides how much time that is worth: the real time elapsed since the
member's previous accepted heartbeat, capped, never more.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BeatInput:
    now_ms: int
    seq: int
    resume: bool  # the tab was hidden: time since the last beat wasn't reading
    view_seen: bool  # an earlier heartbeat of this view was accepted
    view_last_seq: int
    view_last_ms: int
    clock_last_ms: int  # the member's last accepted heartbeat, any view
    active_ms: int  # time already credited on this article
    required_ms: int
    credited: bool
    cap_ms: int


@dataclass(frozen=True)
class BeatOutcome:
    accepted: bool
    credit_ms: int
    active_ms: int
    award: bool  # the article's credit is earned by this heartbeat


def account(beat: BeatInput) -> BeatOutcome:
    if beat.view_seen and beat.seq <= beat.view_last_seq:
        # A replay or a heartbeat overtaken by a later one: no effect.
        return BeatOutcome(False, 0, beat.active_ms, False)
    if not beat.view_seen or beat.resume:
        credit = 0  # opens a span; time before it isn't known to be reading
    else:
        since = beat.now_ms - max(beat.view_last_ms, beat.clock_last_ms)
        credit = max(0, min(since, beat.cap_ms))
    active = beat.active_ms + credit
    award = not beat.credited and active >= beat.required_ms
    return BeatOutcome(True, credit, active, award)
