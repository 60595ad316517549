"""The demo newsroom: three review levels with their people, one draft waiting for
初审, and one article signed off and scheduled for later in the month (its file is
written into the content directory, so it goes live on its day by itself).

Rows are written directly, inside the demo's one transaction; the trail they leave
is the one the service would (submit, approvals, 终审签发 with 保密审查).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from learning_app.demo.accounts import DEMO_LEVELS
from learning_app.demo.history import local_moment
from learning_app.models import LevelReviewer, NewsArticle, NewsRevision, NewsStep, ReviewLevel
from learning_app.newsroom import rules
from learning_app.newsroom.publish import write_revision

WAITING_ID = "longquan-dongxun-peixun"
SCHEDULED_ID = "nianzhong-dangyuan-dongxun"

WAITING = ({"title": "龙泉镇举办冬季农业技术培训",
            "summary": "镇农技站为各村党员和种植户讲解冬季管护"},
           "龙泉镇党委邀请镇农技站技术员，在镇便民服务中心为各村党员和种植户讲解"
           "茶园、果园的冬季管护。\n\n## 培训内容\n\n- 冬季修剪和清园\n- 防冻措施\n"
           "- 来年春管的准备\n\n参加培训的党员将把要点带回各村，在主题党日上分享。\n")
SCHEDULED = ({"title": "县委组织部部署年终党员冬训", "summary": "冬训安排在各党支部就近进行"},
             "县委组织部近日部署今冬明春党员冬训工作。冬训以党支部为单位就近组织，"
             "内容包括党的理论学习、政策宣讲和实用技术培训。\n\n## 工作要求\n\n"
             "各党支部结合农闲时间安排学习，不搞形式主义，不增加基层负担。\n")


def scheduled_day(today: dt.date) -> dt.date:
    """Later this month: a few days on, or the month's last day, or (on the last
    day of a month) tomorrow."""
    later = today + dt.timedelta(days=5)
    if later.month == today.month:
        return later
    last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return last if last > today else today + dt.timedelta(days=1)


def _levels(session: Session, ids: dict[str, int]) -> None:
    session.execute(delete(LevelReviewer))
    existing = {level.position: level for level in session.scalars(select(ReviewLevel))}
    for position, (name, codes) in enumerate(DEMO_LEVELS, start=1):
        level = existing.get(position) or ReviewLevel(position=position, name=name)
        level.name = name
        session.add(level)
        session.flush()
        session.add_all(LevelReviewer(level_id=level.id, member_id=ids[code]) for code in codes)


def _article(session: Session, article_id: str, section: str, front_matter: dict[str, object],
             body: str, author: int, at: dt.datetime) -> tuple[NewsArticle, NewsRevision]:
    article = NewsArticle(article_id=article_id, section=section, state="draft", level=0,
                          path=rules.article_path(section, article_id,
                                                  rules.article_date(front_matter)),
                          created_by=author, created_at=at, updated_at=at)
    session.add(article)
    session.flush()
    revision = NewsRevision(article_id=article.id, number=1,
                            front_matter={**front_matter, "id": article_id}, body=body,
                            author_id=author, created_at=at)
    session.add(revision)
    session.flush()
    article.current_revision_id = revision.id
    session.add(NewsStep(article_id=article.id, revision_id=revision.id, actor_id=author,
                         action="save", at=at))
    return article, revision


def load_newsroom(session: Session, ids: dict[str, int], today: dt.date,
                  content_dir: Path | None) -> tuple[dt.date, Path | None]:
    """The demo's newsroom in ``session`` (not committed); the scheduled day and the
    file written for it (None without a content directory)."""
    _levels(session, ids)
    editor = ids["demo-editor"]
    at = local_moment(today, 9, 30)
    waiting, revision = _article(session, WAITING_ID, "news",
                                 {**WAITING[0], "date": today.isoformat()}, WAITING[1],
                                 editor, at)
    waiting.state, waiting.level = "in_review", 1
    session.add(NewsStep(article_id=waiting.id, revision_id=revision.id, actor_id=editor,
                         action="submit", at=at + dt.timedelta(minutes=5)))

    day = scheduled_day(today)
    fm = {**SCHEDULED[0], "date": day.isoformat()}
    article, revision = _article(session, SCHEDULED_ID, "news", fm, SCHEDULED[1], editor,
                                 at - dt.timedelta(days=1))
    steps = [("submit", 0, editor, 0), ("approve", 1, ids["demo-review1"], 1),
             ("approve", 2, ids["demo-review2"], 2), ("sign", 3, ids["demo-review3"], 3)]
    for action, level, actor, hours in steps:
        session.add(NewsStep(article_id=article.id, revision_id=revision.id, actor_id=actor,
                             action=action, level=level, secrecy_confirmed=action == "sign",
                             at=at - dt.timedelta(days=1) + dt.timedelta(hours=hours + 1)))
    article.state, article.level, article.publish_on = "scheduled", 0, day
    written = None
    if content_dir is not None:
        written = write_revision(content_dir, article.path, revision.front_matter,
                                 revision.body, today=today)
    return day, written
