"""How a reading heartbeat turns into credited reading time (contract 3).

The browser only says "this view of this article is still being read"; the
server decides how much time that is worth: the real time elapsed since the
member's previous accepted heartbeat, capped, never more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from learning_app.errors import Refused


@dataclass(frozen=True)
class BeatState:
    """What a heartbeat read about its member, article and view, holding the clock."""

    member_status: str
    auth_version: str
    must_change_password: bool
    org_id: int | None
    article: str | None  # None: no such article
    in_manifest: bool
    published: dt.date | None
    view_seen: bool
    view_article: str | None


def check(state: BeatState, auth_version: str | None, today: dt.date) -> None:
    """Why a heartbeat is refused, as a ``Refused``; nothing when it may count.

    Plain function: the rules of a heartbeat without a database.
    """
    if state.member_status != "active" or (auth_version is not None
                                           and state.auth_version != auth_version):
        raise Refused(401, "请先登录")
    if state.must_change_password:
        raise Refused(403, "请先修改初始密码")
    if (state.article is None or not state.in_manifest or state.published is None
            or state.published > today):
        raise Refused(404, "没有这篇文章，或文章尚未发布")
    if state.org_id is None:
        raise Refused(403, "党员不在册，不能计入学时")
    if state.view_seen and state.view_article != state.article:
        raise Refused(409, "view_id belongs to another article")


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
