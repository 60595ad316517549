"""The newsroom's review pages: an article with its trail and the actions this
person may take, decisions (通过, 终审签发, 退回), the reviewer's edit, diffs,
history and restore, withdrawal (撤稿) and recall (撤回送审).

Everything goes through the pages as the staff use them; the clock is injected
(``review_views.utcnow``), the content directory is tmp_path's (``layout``), and
builds are queued but not run (``queued_builds``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import NewsArticle, NewsRevision, NewsStep, SiteBuild
from learning_app.newsroom import service
from learning_app.newsroom.builds import SiteLayout
from site_builder import registry
from tests.app.conftest import MakeMember
from tests.app.newsroom_helpers import (
    STATE_KEYS,
    T0,
    Browser,
    mark_live,
    near,
    page_text,
    queued_builds,  # noqa: F401  (fixture)
    reloaded,
    revision_id,
)
from tests.app.test_newsroom_publish import layout  # noqa: F401  (fixture)
from tests.app.test_newsroom_service import (  # noqa: F401  (fixtures)
    BODY,
    Desk,
    desk,
    fm,
)

pytestmark = pytest.mark.usefixtures("layout", "queued_builds")
BASE = "/app/newsroom"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_app.newsroom.review_views.utcnow", lambda: T0)


def new_article(desk: Desk, article_id: str = "chungeng-dongyuan", *,  # noqa: F811
                date: str = "2027-03-10", body: str = BODY) -> NewsArticle:
    return service.create_article(db.session, desk.editor, section="news",
                                  article_id=article_id, front_matter=fm(date=date),
                                  body=body, now=T0)


def submitted(desk: Desk, **kwargs: str) -> NewsArticle:  # noqa: F811
    article = new_article(desk, **kwargs)
    service.submit(db.session, article.id, desk.editor, revision_id=revision_id(article),
                   now=T0)
    return reloaded(article)


def decide(browser: Browser, article: NewsArticle, action: str, level: int,
           **fields: str) -> object:
    return browser.post(f"{BASE}/{article.id}/decide",
                        data={"action": action, "level": str(level),
                              "revision": str(revision_id(article)), **fields})


def at_last_level(desk: Desk, **kwargs: str) -> NewsArticle:  # noqa: F811
    article = submitted(desk, **kwargs)
    for member, level in ((desk.r1, 1), (desk.r2, 2)):
        service.approve(db.session, article.id, member, level=level,
                        revision_id=revision_id(article), now=T0)
    return reloaded(article)


def content_file(layout: SiteLayout, article_id: str = "chungeng-dongyuan") -> Path:  # noqa: F811
    return layout.content_dir / "news" / f"{article_id}.md"


def live(app: Flask, desk: Desk) -> NewsArticle:  # noqa: F811
    """An article signed through the page (its file written) and then served."""
    article = at_last_level(desk)
    response = decide(Browser(app, desk.r3), article, "sign", 3, secrecy="confirmed")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return mark_live(article, T0 + dt.timedelta(minutes=2))


# -- three reviewers through the pages ---------------------------------------------------------


def test_three_reviewers_approve_through_the_pages_and_the_file_is_written(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    article = submitted(desk)
    url = f"{BASE}/{article.id}"
    for member, level, button in ((desk.r1, 1, "通过，转下一级"), (desk.r2, 2, "通过，转下一级")):
        browser = Browser(app, member)
        page = browser.get(url).get_data(as_text=True)
        assert button in page and "终审签发</button>" not in page
        assert f'name="revision" value="{revision_id(article)}"' in page
        response = decide(browser, article, "approve", level, comment="同意")
        assert response.status_code == 303
        assert reloaded(article).level == level + 1
    assert "已通过复审，转终审签发" in browser.get(url).get_data(as_text=True)

    signer = Browser(app, desk.r3)
    page = signer.get(url).get_data(as_text=True)
    assert "终审签发</button>" in page and "通过，转下一级" not in page
    assert "我已完成保密审查" in page
    assert "日期早于签发日的理由" not in page  # dated today: no reason asked
    response = decide(signer, article, "sign", 3, secrecy="confirmed", comment="同意签发")
    assert response.status_code == 303
    signed = reloaded(article)
    assert (signed.state, signed.publish_on) == ("approved", dt.date(2027, 3, 10))
    written = content_file(layout).read_text(encoding="utf-8")
    assert written.startswith("---\ntitle: 春耕生产动员会召开\ndate: 2027-03-10\n")
    assert "会议部署了今年的春耕工作。" in written
    build = db.session.scalars(select(SiteBuild)).one()
    assert build.status == "queued" and "春耕生产动员会召开" in (build.reason or "")
    page = signer.get(url).get_data(as_text=True)
    assert "已签发，网站正在更新" in page
    assert "已签发，待上线" in page and "排队中" in page
    assert "通过，转下一级" not in page and "终审签发</button>" not in page


def test_a_future_date_is_scheduled_and_says_when(app: Flask, desk: Desk,  # noqa: F811
                                                   layout: SiteLayout) -> None:  # noqa: F811
    article = at_last_level(desk, date="2027-03-20")
    signer = Browser(app, desk.r3)
    assert decide(signer, article, "sign", 3, secrecy="confirmed").status_code == 303
    assert reloaded(article).state == "scheduled"
    assert content_file(layout).is_file()  # written now, shown by the build of the 20th
    page = signer.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已签发，稿件将于2027年3月20日自动上线" in page
    assert "已签发，定时上线</strong>，定于2027年3月20日上线" in page
    assert "排队中" not in page  # today's build doesn't put it live


def test_the_build_that_carries_it_shows_live_with_a_link_or_failed_with_why(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    article = live(app, desk)
    build = db.session.scalars(select(SiteBuild)).one()
    build.status, build.started_at = "live", T0 + dt.timedelta(minutes=1)
    build.finished_at = T0 + dt.timedelta(minutes=2)
    db.session.commit()
    page = Browser(app, desk.editor).get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "上线时间</dt><dd>2027年3月10日 10:02（实际上线的时间）" in page
    assert '<a href="/news/chungeng-dongyuan/">打开页面</a>' in page
    assert "已上线</strong>（2027年3月10日 10:02）" in page

    build.status = "failed"
    build.error = "网站构建失败，线上网站保持原样。\n\nnews/x.md:3: 标题有误"
    db.session.commit()
    page = Browser(app, desk.editor).get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "失败</strong>" in page and "news/x.md:3: 标题有误" in page


# -- only the actions this person may take ------------------------------------------------------


def test_the_author_who_reviews_sees_no_approval_of_their_own_text(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    service.configure_levels(db.session, desk.admin, [
        ("初审", [desk.r1.id, desk.editor.id]), ("复审", [desk.r2.id]),
        ("终审签发", [desk.r3.id])], T0)
    article = submitted(desk)
    author = Browser(app, desk.editor)
    page = author.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "通过，转下一级" not in page
    assert "撤回送审</button>" in page  # what they may do: take it back
    response = decide(author, article, "approve", 1)
    assert response.status_code == 403
    assert "不能审核自己撰写或修改过的稿件" in response.get_data(as_text=True)
    assert reloaded(article).level == 1


def test_a_level_two_reviewer_cant_act_at_level_one(app: Flask, desk: Desk) -> None:  # noqa: F811
    article = submitted(desk)
    second = Browser(app, desk.r2)
    page = second.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert 'id="decide"' not in page and "退回修改</button>" not in page
    assert "直接修改正文" not in page
    assert "目前没有需要您办理的事项" in page
    response = decide(second, article, "approve", 2)
    assert response.status_code == 403 and "不能越级审核" in response.get_data(as_text=True)
    response = decide(second, article, "approve", 1)
    assert response.status_code == 403
    assert "您不是“初审”的审核人" in response.get_data(as_text=True)
    assert second.get(f"{BASE}/{article.id}/review-edit").status_code == 403
    assert reloaded(article).level == 1
    assert [s.action for s in service.trail(db.session, article.id)] == ["save", "submit"]


def test_decide_is_refused_to_a_member_outside_the_newsroom_and_to_an_editor(
        app: Flask, desk: Desk, make_member: MakeMember) -> None:  # noqa: F811
    article = submitted(desk)
    outsider = Browser(app, make_member(name="普通党员"))
    assert outsider.get(f"{BASE}/{article.id}").status_code == 403
    assert decide(outsider, article, "approve", 1).status_code == 403
    township = Browser(app, make_member("QC-SQ", role="org_admin", scope="QC-SQ"))
    assert decide(township, article, "approve", 1).status_code == 403
    other_editor = Browser(app, desk.editor2)  # in the newsroom, on no level
    response = decide(other_editor, article, "approve", 1)
    assert response.status_code == 403 and "审核人" in response.get_data(as_text=True)
    assert reloaded(article).level == 1


# -- refusals next to their field -------------------------------------------------------------


def test_sign_without_the_secrecy_check_is_refused_next_to_the_checkbox(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    article = at_last_level(desk)
    response = decide(Browser(app, desk.r3), article, "sign", 3, comment="同意")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert near(page, "secrecy", "签发前须确认已完成保密审查")
    assert 'id="secrecy-error"' in page
    assert ">同意</textarea>" in page  # what was typed is kept
    assert reloaded(article).state == "in_review"
    assert not content_file(layout).exists()


def test_a_backdated_sign_needs_a_reason(app: Flask, desk: Desk,  # noqa: F811
                                         layout: SiteLayout) -> None:  # noqa: F811
    article = at_last_level(desk, date="2027-03-05")
    signer = Browser(app, desk.r3)
    page = signer.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "发稿日期早于签发日，须写明理由；网站显示的上线时间始终是真实时间" in page
    response = decide(signer, article, "sign", 3, secrecy="confirmed")
    assert response.status_code == 400
    assert near(response.get_data(as_text=True), "reason", "按规定不得倒填发稿日期")
    assert reloaded(article).state == "in_review" and not content_file(layout).exists()
    response = decide(signer, article, "sign", 3, secrecy="confirmed",
                      reason="按会议召开日期发布")
    assert response.status_code == 303
    assert reloaded(article).state == "approved" and content_file(layout).is_file()
    page = signer.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "日期早于签发日的理由：按会议召开日期发布" in page


def test_a_return_needs_a_comment_and_shows_it_in_the_trail(app: Flask,
                                                           desk: Desk) -> None:  # noqa: F811
    article = submitted(desk)
    first = Browser(app, desk.r1)
    response = decide(first, article, "return", 1, comment="  ")
    assert response.status_code == 400
    assert near(response.get_data(as_text=True), "comment", "退回时请写明修改意见")
    assert reloaded(article).state == "in_review"
    response = decide(first, article, "return", 1, comment="第二段人数请核实")
    assert response.status_code == 303
    assert reloaded(article).state == "returned"
    page = Browser(app, desk.editor).get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已退回修改" in page and "第二段人数请核实" in page


def test_a_decision_on_a_text_changed_meanwhile_is_refused(app: Flask,
                                                          desk: Desk) -> None:  # noqa: F811
    article = submitted(desk)
    seen = revision_id(article)
    service.reviewer_edit(db.session, article.id, desk.r1b, level=1, base_revision_id=seen,
                          front_matter=fm(), body=BODY + "补充。", now=T0)
    response = Browser(app, desk.r1).post(f"{BASE}/{article.id}/decide", data={
        "action": "approve", "level": "1", "revision": str(seen)})
    assert response.status_code == 409
    assert near(response.get_data(as_text=True), "decide", "现为第2版")


# -- the trail -----------------------------------------------------------------------------


def test_the_trail_shows_each_step_with_names_and_versions(app: Flask,
                                                          desk: Desk) -> None:  # noqa: F811
    article = live(app, desk)
    page = Browser(app, desk.editor).get(f"{BASE}/{article.id}").get_data(as_text=True)
    trail = page_text(page[page.index('id="trail-title"'):])
    steps = [
        "保存 · 第1版 宣传编辑甲 · 2027年3月10日 10:00",
        "送审 · 第1版 宣传编辑甲 · 2027年3月10日 10:00",
        "审核通过 （初审） · 第1版 初审人 · 2027年3月10日 10:00",
        "审核通过 （复审） · 第1版 复审人 · 2027年3月10日 10:00",
        "终审签发 · 第1版 终审人 · 2027年3月10日 10:00 保密审查已确认",
        "上线 · 第1版 自动发布 · 2027年3月10日 10:02",
    ]
    positions = [trail.find(step) for step in steps]
    assert -1 not in positions, (trail, positions)
    assert positions == sorted(positions)
    assert trail.count("保密审查已确认") == 1


# -- the reviewer's edit ---------------------------------------------------------------------


def test_a_reviewer_edit_is_a_new_version_and_review_restarts(app: Flask,
                                                             desk: Desk) -> None:  # noqa: F811
    article = submitted(desk)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=revision_id(article),
                    now=T0)
    second = Browser(app, desk.r2)
    page = second.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "直接修改正文" in page
    form = second.get(f"{BASE}/{article.id}/review-edit").get_data(as_text=True)
    assert "第2版" in form and "审核从<strong>初审</strong>重新开始" in form
    base = revision_id(article)
    fields = {"base": str(base), "level": "2", "title": "春耕生产动员会召开",
              "date": "2027-03-10", "summary": "全县部署春耕生产", "tags": "春耕、动员",
              "body": BODY.replace("今年", "2027年"), "comment": "改为具体年份"}
    refused = second.post(f"{BASE}/{article.id}/review-edit", data={**fields, "title": ""})
    assert refused.status_code == 400
    assert near(refused.get_data(as_text=True), "f-title", "请填写标题")
    assert "2027年的春耕工作" in refused.get_data(as_text=True)  # the typing is kept
    assert revision_id(article) == base
    response = second.post(f"{BASE}/{article.id}/review-edit", data=fields)
    assert response.status_code == 303
    edited = db.session.get(NewsRevision, revision_id(article))
    assert edited is not None and edited.number == 2 and edited.author_id == desk.r2.id
    assert edited.front_matter["tags"] == ["春耕", "动员"]
    assert edited.front_matter["id"] == "chungeng-dongyuan"
    assert (reloaded(article).state, reloaded(article).level) == ("in_review", 1)
    page = second.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已保存为第2版，审核从初审重新开始" in page
    assert "审核修改 （复审） · 第2版" in page_text(page)


# -- diff ------------------------------------------------------------------------------------


def test_the_diff_shows_an_inserted_and_a_deleted_line(app: Flask, desk: Desk) -> None:  # noqa: F811
    article = new_article(desk)
    first = revision_id(article)
    later = T0 + dt.timedelta(hours=1)
    service.save_draft(db.session, article.id, desk.editor2, base_revision_id=first,
                       front_matter=fm(title="春耕动员会召开"),
                       body=BODY.replace("会议部署了今年的春耕工作。", "参会人员共180人。"),
                       now=later)
    second = revision_id(article)
    page = Browser(app, desk.r1).get(f"{BASE}/{article.id}/diff?old={first}&new={second}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r"<span class=\"diff-mark\">增</span><span class=\"diff-no\">\d+</span>"
                     r"<ins class=\"diff-text\">参会人员共180人。</ins>", text)
    assert re.search(r"<span class=\"diff-mark\">删</span><span class=\"diff-no\">\d+</span>"
                     r"<del class=\"diff-text\">会议部署了今年的春耕工作。</del>", text)
    # The front matter reads as 标题：…, not as the file's English keys.
    assert '<del class="diff-text">标题：春耕生产动员会召开</del>' in text
    assert '<ins class="diff-text">标题：春耕动员会召开</ins>' in text
    assert "title:" not in text and "【稿件信息】" in text
    assert "第1版 · 宣传编辑甲 · 2027年3月10日 10:00" in text
    assert "第2版 · 宣传编辑乙 · 2027年3月10日 11:00" in text
    # By default: the version before the current one.
    assert "参会人员共180人。</ins>" in Browser(app, desk.r1).get(
        f"{BASE}/{article.id}/diff").get_data(as_text=True)
    assert Browser(app, desk.r1).get(f"{BASE}/{article.id}/diff?old=999999&new={second}"
                                     ).status_code == 404


# -- history and restore ------------------------------------------------------------------------


def test_history_and_restoring_a_published_version(app: Flask, desk: Desk) -> None:  # noqa: F811
    article = live(app, desk)
    first = revision_id(article)
    later = T0 + dt.timedelta(days=1)
    correction = service.save_draft(db.session, article.id, desk.editor2,
                                    base_revision_id=first, front_matter=fm(),
                                    body="改写后的正文。", now=later, correction_note="改写正文")
    service.submit(db.session, article.id, desk.editor2, revision_id=correction.id, now=later)
    for member, level in ((desk.r1, 1), (desk.r2, 2)):
        service.approve(db.session, article.id, member, level=level, revision_id=correction.id,
                        now=later)
    service.final_approve(db.session, article.id, desk.r3, level=3, revision_id=correction.id,
                          now=later, secrecy_confirmed=True)
    mark_live(article, later)

    editor = Browser(app, desk.editor)
    page = editor.get(f"{BASE}/{article.id}/history").get_data(as_text=True)
    assert "2027年3月10日 10:02上线" in page and "2027年3月11日 10:00上线" in page
    assert "须重新经过全部审核" in page
    assert f'name="revision" value="{first}"' in page  # the old published one: restorable
    assert f'name="revision" value="{correction.id}"' not in page  # the live one: not
    assert f"diff?old={first}&amp;new={correction.id}" in page

    response = editor.post(f"{BASE}/{article.id}/restore", data={"revision": str(first)})
    assert response.status_code == 400
    assert near(response.get_data(as_text=True), f"restore-error-{first}", "请写明更正内容")
    response = editor.post(f"{BASE}/{article.id}/restore",
                           data={"revision": str(first), "note": "恢复为原稿"})
    assert response.status_code == 303
    restored = db.session.get(NewsRevision, revision_id(article))
    assert restored is not None and restored.number == 3 and restored.note == "恢复第1版"
    assert reloaded(article).state == "draft"
    assert reloaded(article).published_revision_id == correction.id  # live until reviewed
    page = editor.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已把第1版恢复为第3版（草稿）" in page and "重新经过" in page
    assert f'name="revision_id" value="{restored.id}"' in page and "送审第3版" in page
    assert "恢复旧版 · 第3版" in page_text(page)

    # A reviewer (not an editor) is offered no restore.
    page = Browser(app, desk.r1).get(f"{BASE}/{article.id}/history").get_data(as_text=True)
    assert "恢复第1版（须重新审核）" not in page
    assert Browser(app, desk.r1).post(f"{BASE}/{article.id}/restore", data={
        "revision": str(first), "note": "再恢复"}).status_code == 403


# -- withdrawal -----------------------------------------------------------------------------


def test_withdrawal_asks_for_a_reason_then_confirmation_and_takes_the_page_down(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    article = live(app, desk)
    assert content_file(layout).is_file()
    editor_page = Browser(app, desk.editor).get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "撤稿原因" not in editor_page
    assert Browser(app, desk.editor).post(f"{BASE}/{article.id}/withdraw", data={
        "reason": "数据有误", "confirm": "yes"}).status_code == 403

    signer = Browser(app, desk.r3)
    url = f"{BASE}/{article.id}/withdraw"
    assert "撤稿原因（必填）" in signer.get(f"{BASE}/{article.id}").get_data(as_text=True)
    response = signer.post(url, data={"reason": " "})
    assert response.status_code == 400
    assert near(response.get_data(as_text=True), "withdraw", "撤稿请写明原因")
    response = signer.post(url, data={"reason": "照片未经本人同意"})
    assert response.status_code == 200
    confirm = response.get_data(as_text=True)
    for words in ("确认撤稿", "撤稿原因：照片未经本人同意", "页面将从网站撤下", "编号作废",
                  "已经获得的学时保留"):
        assert words in confirm
    assert reloaded(article).state == "published" and content_file(layout).is_file()

    response = signer.post(url, data={"reason": "照片未经本人同意", "confirm": "yes"})
    assert response.status_code == 303
    assert reloaded(article).state == "withdrawn"
    assert not content_file(layout).exists()
    entries, errors = registry.load(registry.locate(layout.content_dir))
    assert not errors and entries["chungeng-dongyuan"].retired
    step = db.session.scalars(select(NewsStep).where(NewsStep.action == "withdraw")).one()
    assert step.actor_id == desk.r3.id and step.comment == "照片未经本人同意"
    page = signer.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已撤稿" in page and "撤稿原因（必填）" not in page
    assert "在网站上查看" not in page  # no link to a page that is gone


# -- recall --------------------------------------------------------------------------------


def test_recall_before_any_decision_and_not_after(app: Flask, desk: Desk) -> None:  # noqa: F811
    article = submitted(desk)
    author = Browser(app, desk.editor)
    assert "撤回送审</button>" not in Browser(app, desk.editor2).get(
        f"{BASE}/{article.id}").get_data(as_text=True)
    assert Browser(app, desk.editor2).post(f"{BASE}/{article.id}/recall").status_code == 403
    response = author.post(f"{BASE}/{article.id}/recall")
    assert response.status_code == 303
    assert (reloaded(article).state, reloaded(article).level) == ("draft", 0)
    page = author.get(f"{BASE}/{article.id}").get_data(as_text=True)
    assert "已撤回送审，稿件回到草稿" in page and "撤回送审 · 第1版" in page_text(page)

    service.submit(db.session, article.id, desk.editor, revision_id=revision_id(article),
                   now=T0)
    service.approve(db.session, article.id, desk.r1, level=1, revision_id=revision_id(article),
                    now=T0)
    assert "撤回送审</button>" not in author.get(f"{BASE}/{article.id}").get_data(as_text=True)
    response = author.post(f"{BASE}/{article.id}/recall")
    assert response.status_code == 409
    assert "审核人已经办理了这一轮审核，不能再撤回" in response.get_data(as_text=True)
    assert reloaded(article).level == 2


# -- nothing in English --------------------------------------------------------------------


def test_no_page_shows_english_or_state_keys(app: Flask, desk: Desk) -> None:  # noqa: F811
    waiting = submitted(desk, article_id="dengdai-shenhe")
    article = live(app, desk)
    # A correction started (its Markdown 更正说明 block is the article's text, not the page's).
    service.save_draft(db.session, article.id, desk.editor, base_revision_id=revision_id(article),
                       front_matter=fm(), body=BODY + "补充。", now=T0)
    reviewer, signer = Browser(app, desk.r1), Browser(app, desk.r3)
    pages = [
        reviewer.get(f"{BASE}/{waiting.id}"),
        reviewer.get(f"{BASE}/{waiting.id}/review-edit"),
        signer.get(f"{BASE}/{article.id}"),
        signer.get(f"{BASE}/{article.id}/history"),
        signer.get(f"{BASE}/{article.id}/diff"),
        signer.post(f"{BASE}/{article.id}/withdraw", data={"reason": "重复发布"}),
        decide(reviewer, waiting, "return", 1),  # a refusal's page too
    ]
    for response in pages:
        assert response.status_code in (200, 400), response.status_code
        page = response.get_data(as_text=True)
        for key in STATE_KEYS:
            assert key not in page, key
        text = page_text(page)
        # Latin letters only where they are data (the article's address and id) or the
        # name of a file format everybody uses (PDF).
        leftover = re.sub(r"/news/[a-z0-9-]+/|chungeng-dongyuan|dengdai-shenhe|PDF", "", text)
        assert not re.search(r"[A-Za-z]", leftover), re.findall(r".{0,20}[A-Za-z]+.{0,20}",
                                                                 leftover)
