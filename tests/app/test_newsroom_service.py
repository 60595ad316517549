"""The review workflow's transactions on the database: the trail, the audit log,
refusals that write nothing, 待我审核, corrections, restores, withdrawal, the
publishing hand-off, the county's settings, and two reviewers at once."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import (
    Article,
    AuditEvent,
    Member,
    NewsArticle,
    NewsRevision,
    NewsStep,
    SensitiveWord,
)
from learning_app.newsroom import rules, service
from learning_app.newsroom.words import SensitiveWordsFound
from tests.app.conftest import MakeMember
from tests.app.newsroom_helpers import race

T0 = dt.datetime(2027, 3, 10, 2, 0)  # an injected clock: 10:00 in Beijing, 2027-03-10
TODAY = "2027-03-10"
@dataclass
class Desk:
    editor: Member
    editor2: Member
    r1: Member  # 初审 (a township admin who also reviews)
    r1b: Member  # 初审
    r2: Member  # 复审
    r3: Member  # 终审签发
    admin: Member  # county admin: configures the levels


@pytest.fixture
def desk(make_member: MakeMember) -> Desk:
    people = Desk(
        editor=make_member(role="editor", name="宣传编辑甲"),
        editor2=make_member(role="editor", name="宣传编辑乙"),
        r1=make_member("QC-LQ", role="org_admin", scope="QC-LQ", name="初审人"),
        r1b=make_member(name="初审人二"),
        r2=make_member(name="复审人"),
        r3=make_member(name="终审人"),
        admin=make_member("QC", role="county_admin", name="县管理员"),
    )
    service.configure_levels(db.session, people.admin, [
        ("初审", [people.r1.id, people.r1b.id]), ("复审", [people.r2.id]),
        ("终审签发", [people.r3.id])], T0)
    return people


def fm(title: str = "春耕生产动员会召开", date: str = TODAY, **extra: Any) -> dict[str, Any]:
    return {"title": title, "date": date, "summary": "全县部署春耕生产", **extra}


BODY = "3月9日，县里召开春耕生产动员会。\n\n会议部署了今年的春耕工作。\n"


def new_article(desk: Desk, article_id: str = "chungeng-dongyuan", *, section: str = "news",
                date: str = TODAY, body: str = BODY, title: str = "春耕生产动员会召开"
                ) -> NewsArticle:
    return service.create_article(db.session, desk.editor, section=section,
                                  article_id=article_id, front_matter=fm(title, date),
                                  body=body, now=T0)


def reload(article: NewsArticle) -> NewsArticle:
    db.session.expire_all()
    found = db.session.get(NewsArticle, article.id)
    assert found is not None
    return found


def current(article: NewsArticle) -> int:
    revision_id = reload(article).current_revision_id
    assert revision_id is not None
    return revision_id


def submit(desk: Desk, article: NewsArticle, now: dt.datetime = T0) -> None:
    service.submit(db.session, article.id, desk.editor, revision_id=current(article), now=now)


def to_last_level(desk: Desk, article: NewsArticle, now: dt.datetime = T0) -> None:
    submit(desk, article, now)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=current(article),
                    now=now)
    service.approve(db.session, article.id, desk.r2, level=2, revision_id=current(article),
                    now=now)


def sign(desk: Desk, article: NewsArticle, now: dt.datetime = T0, **extra: Any) -> NewsArticle:
    return service.final_approve(db.session, article.id, desk.r3, level=3,
                                 revision_id=current(article), now=now,
                                 **{"secrecy_confirmed": True, **extra})


def publish(article: NewsArticle, now: dt.datetime = T0) -> NewsArticle:
    article = reload(article)
    revision = db.session.get(NewsRevision, article.current_revision_id)
    assert revision is not None
    return service.mark_published(db.session, article, revision, now)


def live_article(desk: Desk, article_id: str = "chungeng-dongyuan") -> NewsArticle:
    article = new_article(desk, article_id)
    to_last_level(desk, article)
    sign(desk, article)
    return publish(article)


def steps(article: NewsArticle) -> list[tuple[str, int | None, int, int]]:
    """(action, actor, revision number, level) of each step, oldest first."""
    db.session.expire_all()
    rows = db.session.execute(
        select(NewsStep.action, NewsStep.actor_id, NewsRevision.number, NewsStep.level)
        .join(NewsRevision, NewsRevision.id == NewsStep.revision_id)
        .where(NewsStep.article_id == article.id).order_by(NewsStep.id)).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def audit(prefix: str = "news_") -> list[tuple[str, str | None]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.action.startswith(prefix), AuditEvent.action != "news_config")
        .order_by(AuditEvent.id))]


def refused(call: Any, *args: Any, **kwargs: Any) -> Refused:
    with pytest.raises(Refused) as error:
        call(db.session, *args, **kwargs)
    return error.value


# -- the whole path --------------------------------------------------------------------


def test_from_draft_to_live_with_its_trail(desk: Desk) -> None:
    article = new_article(desk)
    assert (article.state, article.path) == ("draft", "news/chungeng-dongyuan.md")
    to_last_level(desk, article)
    assert (reload(article).state, reload(article).level) == ("in_review", 3)
    signed = sign(desk, article, comment="同意签发")
    assert (signed.state, signed.level, signed.publish_on) == ("approved", 0,
                                                                dt.date(2027, 3, 10))
    went_live = T0 + dt.timedelta(minutes=3)
    live = publish(article, went_live)
    assert live.state == "published" and live.went_live_at == went_live
    assert live.published_revision_id == live.current_revision_id
    e, r1, r2, r3 = desk.editor.id, desk.r1.id, desk.r2.id, desk.r3.id
    assert steps(article) == [("save", e, 1, 0), ("submit", e, 1, 0), ("approve", r1, 1, 1),
                              ("approve", r2, 1, 2), ("sign", r3, 1, 3), ("publish", None, 1, 0)]
    sign_step = db.session.scalar(select(NewsStep).where(NewsStep.action == "sign"))
    assert sign_step is not None and sign_step.secrecy_confirmed
    assert sign_step.comment == "同意签发"
    assert audit() == [("news_submit", e), ("news_approve", r1), ("news_approve", r2),
                       ("news_approve", r3), ("news_publish", None)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "news_publish"))
    assert event is not None and event.actor == "自动发布"
    assert event.target == "《春耕生产动员会召开》（chungeng-dongyuan）"
    # Publishing the same revision again (a retried job) changes nothing.
    publish(article, went_live + dt.timedelta(hours=1))
    assert reload(article).went_live_at == went_live and len(steps(article)) == 6


def test_a_future_date_is_scheduled_and_goes_live_on_its_day(desk: Desk) -> None:
    article = new_article(desk, date="2027-03-20")
    to_last_level(desk, article)
    assert sign(desk, article).state == "scheduled"
    error = refused(service.mark_published, reload(article),
                    db.session.get(NewsRevision, current(article)), T0)
    assert error.status == 409 and "还没有到日期" in error.message
    on_the_day = dt.datetime(2027, 3, 19, 16, 0, 5)  # 00:00:05 on the 20th in Beijing
    live = publish(article, on_the_day)
    assert live.state == "published" and live.went_live_at == on_the_day


def test_a_column_article_follows_its_month_until_published(desk: Desk) -> None:
    article = new_article(desk, "chungeng-zhuanlan", section="column", date="2027-03-30")
    assert article.path == "column/2027-03/chungeng-zhuanlan.md"
    service.save_draft(db.session, article.id, desk.editor, base_revision_id=current(article),
                       front_matter=fm(date="2027-04-01"), body=BODY, now=T0)
    assert reload(article).path == "column/2027-04/chungeng-zhuanlan.md"


# -- refusals write nothing ------------------------------------------------------------


def test_self_approval_is_refused(desk: Desk) -> None:
    service.configure_levels(db.session, desk.admin, [
        ("初审", [desk.r1.id, desk.editor.id]), ("复审", [desk.r2.id, desk.editor.id]),
        ("终审签发", [desk.r3.id, desk.editor.id])], T0)
    article = new_article(desk)
    submit(desk, article)
    before = len(steps(article))
    error = refused(service.approve, article.id, desk.editor, level=1,
                    revision_id=current(article), now=T0)
    assert error.status == 403 and "自己" in error.message
    assert len(steps(article)) == before and reload(article).level == 1
    assert service.waiting_for(db.session, desk.editor.id) == []


def test_a_skipped_level_is_refused_and_writes_nothing(desk: Desk) -> None:
    article = new_article(desk)
    submit(desk, article)
    error = refused(service.final_approve, article.id, desk.r3, level=3,
                    revision_id=current(article), now=T0, secrecy_confirmed=True)
    assert error.status == 403 and "越级" in error.message
    error = refused(service.approve, article.id, desk.r2, level=2,
                    revision_id=current(article), now=T0)
    assert error.status == 403 and "越级" in error.message
    assert (reload(article).state, reload(article).level) == ("in_review", 1)
    assert [step[0] for step in steps(article)] == ["save", "submit"]
    assert [action for action, _ in audit()] == ["news_submit"]


def test_publishing_unapproved_text_is_refused(desk: Desk) -> None:
    article = new_article(desk)
    to_last_level(desk, article)  # approved twice, not signed
    error = refused(service.mark_published, reload(article),
                    db.session.get(NewsRevision, current(article)), T0)
    assert error.status == 409 and "终审签发" in error.message
    assert reload(article).published_revision_id is None
    assert reload(article).went_live_at is None
    # Nor another article's revision, even a signed one.
    other = live_article(desk, "qita-wenzhang")
    error = refused(service.mark_published, reload(article),
                    db.session.get(NewsRevision, current(other)), T0)
    assert error.status == 404


def test_signing_without_the_secrecy_check_is_refused(desk: Desk) -> None:
    article = new_article(desk)
    to_last_level(desk, article)
    error = refused(service.final_approve, article.id, desk.r3, level=3,
                    revision_id=current(article), now=T0, secrecy_confirmed=False)
    assert error.status == 400 and "保密审查" in error.message
    assert reload(article).state == "in_review"


def test_backdating_needs_a_reason_kept_in_the_trail(desk: Desk) -> None:
    article = new_article(desk, date="2027-03-05")
    to_last_level(desk, article)
    error = refused(service.final_approve, article.id, desk.r3, level=3,
                    revision_id=current(article), now=T0, secrecy_confirmed=True)
    assert error.status == 400 and "倒填" in error.message
    assert reload(article).state == "in_review"
    signed = sign(desk, article, backdate_reason="按会议召开日期发布", comment="同意")
    assert signed.state == "approved" and signed.publish_on == dt.date(2027, 3, 5)
    step = db.session.scalar(select(NewsStep).where(NewsStep.action == "sign"))
    assert step is not None and step.comment == "同意\n日期早于签发日的理由：按会议召开日期发布"
    live = publish(article, T0 + dt.timedelta(minutes=1))
    assert live.went_live_at == T0 + dt.timedelta(minutes=1)  # the real moment, not the 5th


def test_sensitive_words_block_submission_with_every_hit(desk: Desk) -> None:
    service.set_sensitive_words(db.session, desk.admin,
                                [("坏词", "好词"), ("错字", None)], T0)
    article = new_article(desk, title="一个坏词标题", body="第一行。\n第二行有错 字和坏词。")
    with pytest.raises(SensitiveWordsFound) as found:
        submit(desk, article)
    hits = [(h.field, h.word, h.line, h.column) for h in found.value.hits]
    assert hits == [("title", "坏词", 1, 3), ("body", "错字", 2, 5), ("body", "坏词", 2, 9)]
    assert "标题第1行第3列“坏词”（建议改为“好词”）" in found.value.message
    assert reload(article).state == "draft" and [s[0] for s in steps(article)] == ["save"]


def test_a_reviewer_cant_edit_a_sensitive_word_in(desk: Desk) -> None:
    article = new_article(desk)
    submit(desk, article)
    service.set_sensitive_words(db.session, desk.admin, [("坏词", None)], T0)
    with pytest.raises(SensitiveWordsFound):
        service.reviewer_edit(db.session, article.id, desk.r1, level=1,
                              base_revision_id=current(article), front_matter=fm(),
                              body=BODY + "坏词", now=T0)
    # A word added to the list after submission also stops the signature.
    service.set_sensitive_words(db.session, desk.admin, [("春耕", None)], T0)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=current(article),
                    now=T0)
    service.approve(db.session, article.id, desk.r2, level=2, revision_id=current(article),
                    now=T0)
    with pytest.raises(SensitiveWordsFound):
        sign(desk, article)
    assert reload(article).state == "in_review"


# -- return and edits ------------------------------------------------------------------


def test_return_and_resubmit_from_level_one(desk: Desk) -> None:
    article = new_article(desk)
    submit(desk, article)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=current(article),
                    now=T0)
    assert refused(service.return_article, article.id, desk.r2, level=2,
                   revision_id=current(article), comment=" ", now=T0).status == 400
    service.return_article(db.session, article.id, desk.r2, level=2,
                           revision_id=current(article), comment="人数请核实", now=T0)
    assert (reload(article).state, reload(article).level) == ("returned", 0)
    revision = service.save_draft(db.session, article.id, desk.editor,
                                  base_revision_id=current(article), front_matter=fm(),
                                  body=BODY + "参会180人。\n", now=T0)
    assert revision.number == 2 and reload(article).state == "returned"
    submit(desk, article)
    assert (reload(article).state, reload(article).level) == ("in_review", 1)
    returned = db.session.scalar(select(NewsStep).where(NewsStep.action == "return"))
    assert returned is not None and returned.comment == "人数请核实" and returned.level == 2
    assert [a for a, _ in audit()] == ["news_submit", "news_approve", "news_return",
                                       "news_submit"]


def test_an_edit_at_level_two_restarts_review_and_its_editor_cant_approve(desk: Desk) -> None:
    service.configure_levels(db.session, desk.admin, [
        ("初审", [desk.r1.id, desk.r2.id]), ("复审", [desk.r2.id, desk.r1b.id]),
        ("终审签发", [desk.r3.id])], T0)
    article = new_article(desk)
    submit(desk, article)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=current(article),
                    now=T0)
    seen = current(article)
    edited = service.reviewer_edit(db.session, article.id, desk.r2, level=2,
                                   base_revision_id=seen, front_matter=fm(),
                                   body=BODY.replace("今年", "2027年"), now=T0,
                                   comment="改为具体年份")
    assert edited.number == 2 and edited.author_id == desk.r2.id and edited.note == "复审修改"
    assert (reload(article).state, reload(article).level) == ("in_review", 1)
    # The approval of level 1 was for the old text: it is asked again, of the new one.
    assert refused(service.approve, article.id, desk.r1, level=1, revision_id=seen,
                   now=T0).status == 409
    # The editing reviewer holds level 1 too, but wrote this text.
    assert refused(service.approve, article.id, desk.r2, level=1, revision_id=edited.id,
                   now=T0).status == 403
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=edited.id, now=T0)
    assert refused(service.approve, article.id, desk.r2, level=2, revision_id=edited.id,
                   now=T0).status == 403
    service.approve(db.session, article.id, desk.r1b, level=2, revision_id=edited.id, now=T0)
    assert sign(desk, article).state == "approved"
    kinds = [(s[0], s[2], s[3]) for s in steps(article)]
    assert kinds == [("save", 1, 0), ("submit", 1, 0), ("approve", 1, 1), ("edit", 2, 2),
                     ("approve", 2, 1), ("approve", 2, 2), ("sign", 2, 3)]
    assert "news_edit" in [a for a, _ in audit()]


def test_an_unchanged_edit_and_a_stale_save_are_refused(desk: Desk) -> None:
    article = new_article(desk)
    first = current(article)
    service.save_draft(db.session, article.id, desk.editor2, base_revision_id=first,
                       front_matter=fm(), body=BODY + "补充。", now=T0)
    error = refused(service.save_draft, article.id, desk.editor, base_revision_id=first,
                    front_matter=fm(), body=BODY + "另一处修改。", now=T0)
    assert error.status == 409 and "他人修改" in error.message
    # Saving the same text again makes no revision.
    same = service.save_draft(db.session, article.id, desk.editor2,
                              base_revision_id=current(article), front_matter=fm(),
                              body=BODY + "补充。", now=T0)
    assert same.number == 2 and len(steps(article)) == 2
    submit(desk, article)
    assert refused(service.reviewer_edit, article.id, desk.r1, level=1,
                   base_revision_id=current(article), front_matter=fm(),
                   body=BODY + "补充。", now=T0).status == 400
    # The editor can't change a text under review.
    error = refused(service.save_draft, article.id, desk.editor,
                    base_revision_id=current(article), front_matter=fm(), body="x", now=T0)
    assert error.status == 409 and "审核人退回" in error.message


def test_a_save_after_signing_voids_the_signature(desk: Desk) -> None:
    article = new_article(desk, date="2027-03-25")
    to_last_level(desk, article)
    assert sign(desk, article).state == "scheduled"
    signed_revision = current(article)
    service.save_draft(db.session, article.id, desk.editor, base_revision_id=signed_revision,
                       front_matter=fm(date="2027-03-25"), body=BODY + "补充。", now=T0)
    assert reload(article).state == "draft"
    assert audit()[-1] == ("news_edit", desk.editor.id)
    # The scheduler must not publish the new, unsigned text.
    error = refused(service.mark_published, reload(article),
                    db.session.get(NewsRevision, current(article)), dt.datetime(2027, 3, 26))
    assert "终审签发" in error.message


def test_the_article_id_never_changes(desk: Desk) -> None:
    article = new_article(desk)
    error = refused(service.save_draft, article.id, desk.editor,
                    base_revision_id=current(article), front_matter=fm(id="other-id"),
                    body=BODY, now=T0)
    assert error.status == 400 and "编号" in error.message
    assert refused(service.create_article, desk.editor2, section="news",
                   article_id="chungeng-dongyuan", front_matter=fm(), body=BODY,
                   now=T0).status == 409
    db.session.add(Article(id="shougong-wenzhang", title="手写的文章", url="/news/x/",
                           section="news", published=dt.date(2027, 1, 1), required_seconds=60,
                           credit_hours=0.5))
    db.session.commit()
    assert refused(service.create_article, desk.editor, section="news",
                   article_id="shougong-wenzhang", front_matter=fm(), body=BODY,
                   now=T0).status == 409
    assert refused(service.create_article, desk.editor, section="news", article_id="Bad_Id",
                   front_matter=fm(), body=BODY, now=T0).status == 400
    assert refused(service.create_article, desk.r2, section="news", article_id="by-member",
                   front_matter=fm(), body=BODY, now=T0).status == 403


# -- corrections, restores, withdrawal -------------------------------------------------


def test_a_correction_goes_through_review_and_replaces_the_live_text(desk: Desk) -> None:
    article = live_article(desk)
    went_live = reload(article).went_live_at
    first = reload(article).published_revision_id
    later = T0 + dt.timedelta(days=3)
    # A correction without its notice can't be submitted.
    service.save_draft(db.session, article.id, desk.editor2, base_revision_id=current(article),
                       front_matter=fm(), body=BODY.replace("3月9日", "3月8日"), now=later)
    assert (reload(article).state, reload(article).published_revision_id) == ("draft", first)
    error = refused(service.submit, article.id, desk.editor2, revision_id=current(article),
                    now=later)
    assert error.status == 400 and "更正说明" in error.message
    revision = service.save_draft(db.session, article.id, desk.editor2,
                                  base_revision_id=current(article), front_matter=fm(),
                                  body=BODY.replace("3月9日", "3月8日"), now=later,
                                  correction_note="会议日期应为3月8日")
    assert revision.body.startswith(
        '!!! note "更正说明"\n\n    2027年3月13日更正：会议日期应为3月8日')
    assert revision.note == "更正"
    service.submit(db.session, article.id, desk.editor2, revision_id=revision.id, now=later)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=revision.id, now=later)
    service.approve(db.session, article.id, desk.r2, level=2, revision_id=revision.id, now=later)
    # The article keeps its date (the 10th), three days back: no backdating reason needed.
    signed = sign(desk, article, now=later)
    assert signed.state == "approved" and reload(article).published_revision_id == first
    corrected = publish(article, later + dt.timedelta(minutes=2))
    assert corrected.published_revision_id == revision.id and corrected.state == "published"
    assert corrected.went_live_at == went_live  # first publication only
    last_step = steps(article)[-1]
    assert last_step[:3] == ("publish", None, 3)


def test_the_original_author_may_approve_someone_elses_correction(desk: Desk) -> None:
    service.configure_levels(db.session, desk.admin, [
        ("初审", [desk.r1.id, desk.editor.id]), ("复审", [desk.r2.id]),
        ("终审签发", [desk.r3.id])], T0)
    article = live_article(desk)
    later = T0 + dt.timedelta(days=1)
    revision = service.save_draft(db.session, article.id, desk.editor2,
                                  base_revision_id=current(article), front_matter=fm(),
                                  body=BODY + "补充。", now=later, correction_note="补充一句")
    service.submit(db.session, article.id, desk.editor2, revision_id=revision.id, now=later)
    assert [a.id for a in service.waiting_for(db.session, desk.editor.id)] == [article.id]
    service.approve(db.session, article.id, desk.editor, level=1, revision_id=revision.id,
                    now=later)
    assert reload(article).level == 2


def test_restoring_a_published_version(desk: Desk) -> None:
    article = live_article(desk)
    first_id = reload(article).published_revision_id
    later = T0 + dt.timedelta(days=2)
    corrected = service.save_draft(db.session, article.id, desk.editor2,
                                   base_revision_id=current(article), front_matter=fm(),
                                   body="改写后的正文。", now=later, correction_note="改写正文")
    service.submit(db.session, article.id, desk.editor2, revision_id=corrected.id, now=later)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=corrected.id,
                    now=later)
    service.approve(db.session, article.id, desk.r2, level=2, revision_id=corrected.id,
                    now=later)
    sign(desk, article, now=later)
    publish(article, later)
    # Only a version that was on the site, and not the one that is.
    assert refused(service.restore, article.id, desk.editor, revision_id=corrected.id,
                   note="x", now=later).status == 400
    assert first_id is not None
    even_later = later + dt.timedelta(days=1)
    restored = service.restore(db.session, article.id, desk.editor, revision_id=first_id,
                               note="恢复为原稿", now=even_later)
    assert restored.number == 3 and restored.note == "恢复第1版"
    assert rules.correction_entries(restored.body) == ["2027年3月13日更正：恢复为原稿",
                                                       "2027年3月12日更正：改写正文"]
    assert restored.body.rstrip().endswith("会议部署了今年的春耕工作。")
    assert reload(article).state == "draft"
    assert reload(article).published_revision_id == corrected.id  # live until reviewed
    service.submit(db.session, article.id, desk.editor2, revision_id=restored.id,
                   now=even_later)
    assert reload(article).level == 1
    assert [s[0] for s in steps(article)][-2:] == ["restore", "submit"]
    rows = service.diff(db.session, article.id, corrected.id, restored.id)
    assert ("del", "改写后的正文。") in [(row.kind, row.text) for row in rows]


def test_withdrawal_is_final(desk: Desk) -> None:
    article = live_article(desk)
    assert refused(service.withdraw, article.id, desk.r1, reason="数据有误",
                   now=T0).status == 403
    assert refused(service.withdraw, article.id, desk.r3, reason="", now=T0).status == 400
    withdrawn = service.withdraw(db.session, article.id, desk.r3, reason="数据有误", now=T0)
    assert withdrawn.state == "withdrawn"
    assert steps(article)[-1][:2] == ("withdraw", desk.r3.id)
    assert audit()[-1] == ("news_withdraw", desk.r3.id)
    assert refused(service.save_draft, article.id, desk.editor,
                   base_revision_id=current(article), front_matter=fm(), body="x",
                   now=T0).status == 409
    assert refused(service.mark_published, reload(article),
                   db.session.get(NewsRevision, current(article)), T0).status == 409
    assert refused(service.withdraw, article.id, desk.r3, reason="again",
                   now=T0).status == 409


# -- 待我审核 and the diff -------------------------------------------------------------


def test_waiting_for_me(desk: Desk) -> None:
    service.configure_levels(db.session, desk.admin, [
        ("初审", [desk.r1.id, desk.editor2.id]), ("复审", [desk.r1.id, desk.r2.id]),
        ("终审签发", [desk.r3.id])], T0)
    a = new_article(desk, "wenzhang-a")
    b = new_article(desk, "wenzhang-b")
    c = service.create_article(db.session, desk.editor2, section="news", article_id="wenzhang-c",
                               front_matter=fm(), body=BODY, now=T0)
    new_article(desk, "wenzhang-d")  # a draft: nobody's to review
    for article in (a, b):
        submit(desk, article)
    service.submit(db.session, c.id, desk.editor2, revision_id=current(c), now=T0)
    service.approve(db.session, b.id, desk.r1, level=1, revision_id=current(b), now=T0)
    service.approve(db.session, c.id, desk.r1, level=1, revision_id=current(c), now=T0)

    def waiting(member: Member) -> list[str]:
        found = [x.article_id for x in service.waiting_for(db.session, member.id)]
        assert service.waiting_count(db.session, member.id) == len(found)
        return sorted(found)

    # r1: a at level 1; b and c wait at level 2, which r1 holds, but r1 approved them.
    assert waiting(desk.r1) == ["wenzhang-a"]
    assert waiting(desk.r2) == ["wenzhang-b", "wenzhang-c"]
    # editor2 reviews level 1 but wrote c; a is at level 1.
    assert waiting(desk.editor2) == ["wenzhang-a"]
    assert waiting(desk.r3) == [] and waiting(desk.editor) == []
    # Returned and resubmitted: r1's old approval of b no longer counts.
    service.return_article(db.session, b.id, desk.r2, level=2, revision_id=current(b),
                           comment="请修改", now=T0)
    submit(desk, b)
    assert waiting(desk.r1) == ["wenzhang-a", "wenzhang-b"]


def test_the_count_is_one_query(desk: Desk, app: Flask) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine, member_id = db.engine, desk.r1.id
    event.listen(engine, "before_cursor_execute", count)
    try:
        service.waiting_count(db.session, member_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_diff_of_two_revisions(desk: Desk) -> None:
    article = new_article(desk)
    first = current(article)
    service.save_draft(db.session, article.id, desk.editor, base_revision_id=first,
                       front_matter=fm(title="春耕动员会召开"),
                       body=BODY.replace("今年", "2027年"), now=T0)
    rows = service.diff(db.session, article.id, first, current(article))
    changed = [(row.kind, row.text) for row in rows if row.kind in ("add", "del")]
    assert changed == [("del", "title: 春耕生产动员会召开"), ("add", "title: 春耕动员会召开"),
                       ("del", "会议部署了今年的春耕工作。"),
                       ("add", "会议部署了2027年的春耕工作。")]
    other = new_article(desk, "qita")
    assert refused(service.diff, article.id, first, current(other)).status == 404


# -- the county's settings -------------------------------------------------------------


def test_only_the_county_admin_configures(desk: Desk) -> None:
    for who in (desk.editor, desk.r1):  # an editor; a township admin
        assert refused(service.configure_levels, who, [("初审", [who.id])], T0).status == 403
        assert refused(service.set_sensitive_words, who, [("x", None)], T0).status == 403
        assert refused(service.set_stale_days, who, news=7, policy=30, now=T0).status == 403


def test_two_levels_and_a_stranded_article(desk: Desk) -> None:
    article = new_article(desk)
    to_last_level(desk, article)  # waits at level 3
    error = refused(service.configure_levels, desk.admin,
                    [("审核", [desk.r1.id]), ("签发", [desk.r3.id])], T0)
    assert error.status == 409 and "第3级" in error.message
    sign(desk, article)
    service.configure_levels(db.session, desk.admin,
                             [("审核", [desk.r1.id]), ("签发", [desk.r3.id])], T0)
    assert service.levels_config(db.session) == [("审核", [desk.r1.id]), ("签发", [desk.r3.id])]
    other = new_article(desk, "liangji")
    submit(desk, other)
    service.approve(db.session, other.id, desk.r1, level=1, revision_id=current(other), now=T0)
    signed = service.final_approve(db.session, other.id, desk.r3, level=2,
                                   revision_id=current(other), now=T0, secrecy_confirmed=True)
    assert signed.state == "approved"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "news_config")
                               .order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.after == {
        "levels": [["审核", [desk.r1.id]], ["签发", [desk.r3.id]]]}


def test_settings_words_and_thresholds(desk: Desk) -> None:
    assert service.set_sensitive_words(db.session, desk.admin,
                                       [("坏词", "好词"), ("坏词", None), (" ", None)], T0) == 1
    assert db.session.scalar(select(func.count()).select_from(SensitiveWord)) == 1
    assert service.stale_days(db.session) == {"news": 14, "policy": 183}
    service.set_stale_days(db.session, desk.admin, news=7, policy=90, now=T0)
    assert service.stale_days(db.session) == {"news": 7, "policy": 90}


def test_freshness_from_the_sites_articles(desk: Desk) -> None:
    def add(article_id: str, section: str, published: dt.date) -> None:
        db.session.add(Article(id=article_id, title=article_id, url=f"/{article_id}/",
                               section=section, published=published, required_seconds=60,
                               credit_hours=0.5))

    add("column-feb", "column", dt.date(2027, 2, 10))
    add("news-old", "news", dt.date(2027, 3, 1))
    add("news-future", "news", dt.date(2027, 4, 1))  # not out yet: doesn't count
    add("policy-1", "policy", dt.date(2027, 1, 5))
    db.session.commit()
    last, warnings = service.freshness(db.session, dt.date(2027, 3, 26))
    assert last == {"column": dt.date(2027, 2, 10), "news": dt.date(2027, 3, 1),
                    "policy": dt.date(2027, 1, 5)}
    assert warnings == ["脱贫攻坚专栏本月（3月）还没有发布文章，距月底还有6天（含今天）",
                        "新闻动态已25天未更新，超过了14天的更新时限"]
    # A column article signed for the 30th takes the column warning away.
    article = new_article(desk, "zhuanlan-3", section="column", date="2027-03-30")
    to_last_level(desk, article)
    sign(desk, article)
    assert service.freshness(db.session, dt.date(2027, 3, 26))[1] == [
        "新闻动态已25天未更新，超过了14天的更新时限"]


# -- two reviewers at once -------------------------------------------------------------


def test_two_reviewers_deciding_at_once_one_succeeds(app: Flask, desk: Desk,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    article = new_article(desk)
    submit(desk, article)
    article_id, revision_id = article.id, current(article)
    reviewers = [desk.r1.id, desk.r1b.id]
    db.session.remove()
    real = rules.check_approve

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        time.sleep(0.4)  # both would pass here if the article weren't locked
        return outcome

    monkeypatch.setattr(rules, "check_approve", slow_check)
    outcomes = race(app, reviewers, lambda member: service.approve(
        db.session, article_id, member, level=1, revision_id=revision_id, now=T0))
    assert sorted(outcomes) == ["409", "ok"], outcomes
    with app.app_context():
        stored = db.session.get(NewsArticle, article_id)
        assert stored is not None and stored.level == 2
        assert db.session.scalar(select(func.count()).select_from(NewsStep).where(
            NewsStep.action == "approve")) == 1
        db.session.remove()


# -- recall (撤回送审) ---------------------------------------------------------------------


def test_the_submitter_recalls_before_any_decision_and_resubmits(desk: Desk) -> None:
    article = new_article(desk)
    submit(desk, article)
    assert refused(service.recall, article.id, desk.editor2, now=T0).status == 403
    recalled = service.recall(db.session, article.id, desk.editor, now=T0, comment="漏了数据")
    assert (recalled.state, recalled.level) == ("draft", 0)
    assert service.waiting_for(db.session, desk.r1.id) == []
    e = desk.editor.id
    assert steps(article) == [("save", e, 1, 0), ("submit", e, 1, 0), ("recall", e, 1, 0)]
    assert audit() == [("news_submit", e), ("news_recall", e)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "news_recall"))
    assert event is not None and event.detail == "撤回送审的第1版"
    # Corrected and sent again: a new round, which may be recalled again.
    service.save_draft(db.session, article.id, desk.editor, base_revision_id=current(article),
                       front_matter=fm(), body=BODY + "参会180人。\n", now=T0)
    submit(desk, article)
    assert service.recall(db.session, article.id, desk.editor, now=T0).state == "draft"


@pytest.mark.parametrize("decision", ["approve", "edit"])
def test_no_recall_once_a_reviewer_decided(desk: Desk, decision: str) -> None:
    article = new_article(desk)
    submit(desk, article)
    if decision == "approve":
        service.approve(db.session, article.id, desk.r1, level=1, revision_id=current(article),
                        now=T0)
    else:  # an edit sends it back to level 1, but a reviewer has acted
        service.reviewer_edit(db.session, article.id, desk.r1, level=1,
                              base_revision_id=current(article), front_matter=fm(),
                              body=BODY + "补充。", now=T0)
    before = steps(article)
    error = refused(service.recall, article.id, desk.editor, now=T0)
    assert error.status == 409 and "不能再撤回" in error.message
    assert steps(article) == before and reload(article).state == "in_review"
