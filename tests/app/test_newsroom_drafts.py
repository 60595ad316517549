"""Writing articles in the app: a new draft, the editor's saves (one revision per
save, none per autosave), autosave and restoring it, a save over someone else's,
the build's errors next to their fields, submission refused for errors and for
错敏词, photos (GPS gone) and PDFs, and the preview (the site's Markdown and
theme, its own frame headers, never a script).

The clock is injected (``draft_views.utcnow``), the content directory is
tmp_path's (``layout``); nothing here reads the calendar or the tracked tree.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import (
    NewsArticle,
    NewsAutosave,
    NewsMedia,
    NewsRevision,
    SensitiveWord,
)
from learning_app.newsroom import autosave, service
from learning_app.newsroom.builds import SiteLayout
from tests.app.conftest import MakeMember
from tests.app.newsroom_attack_helpers import BODY_PAYLOADS, html_problems
from tests.app.newsroom_helpers import T0, Browser, mark_live, near, page_text, reloaded
from tests.app.test_newsroom_publish import layout  # noqa: F401  (fixture)
from tests.app.test_newsroom_service import (  # noqa: F401  (fixtures)
    Desk,
    desk,
)

pytestmark = pytest.mark.usefixtures("layout")
BASE = "/app/newsroom"
TODAY = "2027-03-10"
BODY = "3月9日，县里召开春耕生产动员会。\n\n会议部署了今年的春耕工作。\n"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_app.newsroom.draft_views.utcnow", lambda: T0)


def fields(**extra: str) -> dict[str, str]:
    return {"title": "春耕生产动员会召开", "date": TODAY, "summary": "全县部署春耕生产",
            "department": "", "tags": "", "credit": "", "body": BODY, **extra}


def created(browser: Browser, article_id: str = "chungeng-dongyuan", section: str = "news",
            **extra: str) -> NewsArticle:
    data = {"section": section, "article_id": article_id, **fields(**extra)}
    data.pop("body")
    response = browser.post(f"{BASE}/new", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    article = db.session.scalar(select(NewsArticle).where(NewsArticle.article_id == article_id))
    assert article is not None
    assert response.headers["Location"].endswith(f"{BASE}/{article.id}/edit")
    return article


def revisions(article: NewsArticle) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(NewsRevision)
                             .where(NewsRevision.article_id == article.id)) or 0


def current_id(article: NewsArticle) -> int:
    found = reloaded(article)
    assert found.current_revision_id is not None
    return found.current_revision_id


def save(browser: Browser, article: NewsArticle, base: int | None = None, **extra: str) -> Any:
    data = {"base_revision_id": str(base or current_id(article)), **fields(**extra)}
    return browser.post(f"{BASE}/{article.id}/edit", data)


def autosave_post(browser: Browser, article: NewsArticle, body: str, *,
                  base: int | None = None, **front_matter: str) -> Any:
    payload = {"base_revision_id": base or current_id(article),
               "front_matter": {"title": "春耕生产动员会召开", "date": TODAY, **front_matter},
               "body": body}
    return browser.client.post(f"{BASE}/{article.id}/autosave", json=payload,
                               headers={"X-CSRFToken": browser.token})


FIELD_START = re.compile(r'class="field[" ]')


def field_block(page: str, input_id: str) -> str:
    """The HTML of the form field holding ``input_id``: from its ``class="field``
    wrapper to the next field's."""
    at = page.index(f'id="{input_id}"')
    starts = [m.start() for m in FIELD_START.finditer(page, 0, at)]
    following = FIELD_START.search(page, at)
    return page[starts[-1] if starts else 0:following.start() if following else len(page)]


# -- a new article, then the editor -------------------------------------------------------------


def test_new_article_suggests_an_id_and_explains_it(app: Flask, desk: Desk) -> None:  # noqa: F811
    page = Browser(app, desk.editor).get(f"{BASE}/new").get_data(as_text=True)
    assert 'value="xinwen-20270310"' in page  # the site's today, from the injected clock
    assert 'data-suggest="zhuanlan-20270310"' in page
    assert "小写英文字母、数字和连字符" in page and "chungeng-dongyuan" in page
    for label in ("脱贫攻坚专栏", "新闻动态", "政策解读", "标题", "日期", "分类", "摘要", "学时"):
        assert label in page
    assert 'value="2027-03-10"' in page  # the date starts at today


def test_create_edit_save_makes_one_revision_per_save_and_none_per_autosave(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    assert article.section == "news" and article.path == "news/chungeng-dongyuan.md"
    assert revisions(article) == 1
    first = current_id(article)

    page = editor.get(f"{BASE}/{article.id}/edit").get_data(as_text=True)
    assert 'id="f-body"' in page and f'name="base_revision_id" value="{first}"' in page
    assert "/app/static/vendor/easymde-2.21.0/easymde.min.js" in page

    for n in range(3):  # typing: the buffer changes, the revisions don't
        answer = autosave_post(editor, article, BODY + "补充" * (n + 1))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json()["moved"] is False
        assert re.fullmatch(r"\d\d:\d\d", answer.get_json()["saved_at"])
    assert answer.get_json()["saved_at"] == "10:00"  # Beijing time of the injected clock
    assert revisions(article) == 1
    buffers = db.session.scalars(select(NewsAutosave)).all()
    assert [(b.article_id, b.member_id, b.body) for b in buffers] == [
        (article.id, desk.editor.id, BODY + "补充补充补充")]

    response = save(editor, article, body=BODY + "补充补充补充")
    assert response.status_code == 303
    assert "已保存为第2版" in page_text(editor.get(response.headers["Location"])
                                        .get_data(as_text=True))
    assert revisions(article) == 2
    assert db.session.scalar(select(func.count()).select_from(NewsAutosave)) == 0  # cleared
    second = current_id(article)
    assert db.session.get(NewsRevision, second).body == BODY + "补充补充补充"

    response = save(editor, article, body=BODY + "补充补充补充")  # the same text again
    assert response.status_code == 303
    assert "内容没有改动" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert revisions(article) == 2

    save(editor, article, title="春耕生产动员会昨日召开", tags="春耕、产业扶贫")
    assert revisions(article) == 3
    latest = db.session.get(NewsRevision, current_id(article))
    assert latest.front_matter["title"] == "春耕生产动员会昨日召开"
    assert latest.front_matter["tags"] == ["春耕", "产业扶贫"]
    assert latest.front_matter["id"] == "chungeng-dongyuan"


def test_new_article_errors_show_next_to_their_fields(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    response = editor.post(f"{BASE}/new", {"section": "news", "article_id": "Chun Geng!",
                                           "title": "", "date": "2027-3-1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert near(page, "err-id", "只能用小写英文字母、数字和连字符")
    assert "请填写标题" in field_block(page, "f-title")
    assert "不是有效的日期" in field_block(page, "f-date")
    assert 'value="Chun Geng!"' not in page and 'value="chun geng!"' in page  # kept as typed
    assert db.session.scalar(select(func.count()).select_from(NewsArticle)) == 0

    # A column article needs a category: the build's own rule, next to the choice.
    response = editor.post(f"{BASE}/new", {"section": "column", "article_id": "chungeng",
                                           **{k: v for k, v in fields().items() if k != "body"}})
    assert response.status_code == 400
    block = field_block(response.get_data(as_text=True), "err-category")
    assert 'name="category"' in block
    assert "专栏文章必填，应为 扶贫知识、部门措施、先进案例之一" in block  # no codes shown
    # An id another article already has (here: the site's old-news) is refused by id.
    response = editor.post(f"{BASE}/new", {"section": "news", "article_id": "old-news",
                                           **{k: v for k, v in fields().items() if k != "body"}})
    assert response.status_code == 400
    assert "old-news" in page_text(response.get_data(as_text=True))
    assert 'id="err-id"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(NewsArticle)) == 0


def test_a_plain_member_cannot_open_the_editor(app: Flask, desk: Desk,  # noqa: F811
                                              make_member: MakeMember) -> None:
    member = Browser(app, make_member())
    assert member.get(f"{BASE}/new").status_code == 403


# -- autosave -----------------------------------------------------------------------------------


def test_autosave_is_refused_to_whoever_may_not_write(
        app: Flask, desk: Desk, make_member: MakeMember) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    member = Browser(app, make_member())
    assert autosave_post(member, article, "别人的字").status_code == 403

    service.submit(db.session, article.id, desk.editor, revision_id=current_id(article), now=T0)
    answer = autosave_post(editor, article, "送审后还在打字")
    assert answer.status_code == 409
    assert "稿件正在等待初审" in answer.get_json()["error"]
    # A reviewer on a level is not a writer either.
    reviewer = Browser(app, desk.r1)
    assert autosave_post(reviewer, article, "审核人的字").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(NewsAutosave)) == 0


def test_autosave_has_a_size_limit_and_refuses_nonsense(app: Flask, desk: Desk) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    answer = autosave_post(editor, article, "字" * (autosave.MAX_BODY_CHARS + 1))
    assert answer.status_code == 413
    assert "无法自动保存" in answer.get_json()["error"]
    huge = json.dumps({"base_revision_id": current_id(article), "front_matter": {},
                       "body": "x" * (autosave.MAX_REQUEST_BYTES + 10)})
    answer = editor.client.post(f"{BASE}/{article.id}/autosave", data=huge,
                                content_type="application/json",
                                headers={"X-CSRFToken": editor.token})
    assert answer.status_code == 413
    for payload in ([1, 2], {"base_revision_id": "x", "body": ""},
                    {"base_revision_id": current_id(article), "front_matter": {"title": 5},
                     "body": ""}):
        answer = editor.client.post(f"{BASE}/{article.id}/autosave", json=payload,
                                    headers={"X-CSRFToken": editor.token})
        assert answer.status_code == 400, payload
        assert answer.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(NewsAutosave)) == 0


def test_the_editor_offers_an_autosaved_buffer_back_and_can_discard_it(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    url = f"{BASE}/{article.id}/edit"
    assert "restore=1" not in editor.get(url).get_data(as_text=True)
    autosave_post(editor, article, BODY + "断网前打的字", title="改过的标题")

    page = editor.get(url).get_data(as_text=True)
    assert "恢复未保存的内容</a>" in page and "10:00自动保存" in page
    assert "断网前打的字" not in page  # offered, not put in place of the saved text

    page = editor.get(url + "?restore=1").get_data(as_text=True)
    assert "断网前打的字" in field_block(page, "f-body")
    assert 'value="改过的标题"' in field_block(page, "f-title")
    assert "已恢复自动保存的内容" in page and "data-unsaved" in page
    assert revisions(article) == 1  # restoring is not saving

    response = editor.post(url, {"discard": "1"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(NewsAutosave)) == 0
    assert "restore=1" not in editor.get(url).get_data(as_text=True)


def test_someone_elses_save_meanwhile_is_a_409_that_keeps_the_typing(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    first, second = Browser(app, desk.editor), Browser(app, desk.editor2)
    article = created(first)
    opened = current_id(article)
    assert save(second, article, body=BODY + "乙的修改").status_code == 303  # 第2版

    answer = autosave_post(first, article, BODY + "甲的修改", base=opened)
    assert answer.status_code == 200 and answer.get_json()["moved"] is True
    assert "现为第2版" in answer.get_json()["message"]

    response = save(first, article, base=opened, body=BODY + "甲的修改")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "稿件已被他人修改（现为第2版）" in page
    assert "甲的修改" in field_block(page, "f-body")  # nothing typed is lost
    assert revisions(article) == 2
    assert db.session.get(NewsRevision, current_id(article)).body == BODY + "乙的修改"

    # After a reload the buffer is offered; restored, it saves over the newer version
    # knowingly (the page said which version it was written on).
    page = first.get(f"{BASE}/{article.id}/edit?restore=1").get_data(as_text=True)
    assert "这些内容是在第1版上修改的" in page
    assert f'name="base_revision_id" value="{current_id(article)}"' in page
    assert save(first, article, body=BODY + "甲的修改").status_code == 303
    assert revisions(article) == 3


# -- the build's checks next to the fields ------------------------------------------------------


def test_check_draft_errors_appear_next_to_their_fields(app: Flask, desk: Desk) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    body = "第一段。\n\n第二段。\n<iframe src=\"/x\"></iframe>\n"
    response = save(editor, article, credit="20", body=body)
    assert response.status_code == 200  # saved, with what still stands in the way
    page = response.get_data(as_text=True)
    assert "已保存为第2版。还有2处问题" in page_text(page)
    assert "学时数，大于 0 且不超过 10" in field_block(page, "f-credit")
    assert "学时数" not in field_block(page, "f-title")
    body_block = field_block(page, "f-body")
    assert "第4行：" in body_block and "iframe" in body_block  # the body's own line number
    assert 'aria-invalid="true"' in body_block and 'aria-describedby="hint-body err-body"' in page
    assert revisions(article) == 2

    # What can't be stored at all is refused before the service, next to its input.
    response = save(editor, article, credit="半个", date="明天")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "学时应填数字" in field_block(page, "f-credit")
    assert "不是有效的日期" in field_block(page, "f-date")
    assert revisions(article) == 2


def test_a_live_article_asks_for_its_correction_note(app: Flask, desk: Desk) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    found = reloaded(article)
    for member, level in ((desk.r1, 1), (desk.r2, 2)):
        if level == 1:
            service.submit(db.session, found.id, desk.editor, revision_id=current_id(found),
                           now=T0)
        service.approve(db.session, found.id, member, level=level,
                        revision_id=current_id(found), now=T0)
    service.final_approve(db.session, found.id, desk.r3, level=3, revision_id=current_id(found),
                          now=T0, secrecy_confirmed=True)
    mark_live(found, T0)

    page = editor.get(f"{BASE}/{article.id}/edit").get_data(as_text=True)
    assert 'id="f-note"' in page and "修改即是更正" in page
    response = save(editor, article, body=BODY + "更正后的一句。")
    assert response.status_code == 400
    assert "请写明更正了什么" in field_block(response.get_data(as_text=True), "f-note")
    assert revisions(article) == 1
    response = save(editor, article, body=BODY + "更正后的一句。",
                    correction_note="第二段的日期有误")
    assert response.status_code in (200, 303)
    saved = db.session.get(NewsRevision, current_id(article))
    assert saved.body.startswith('!!! note "更正说明"')
    assert "2027年3月10日更正：第二段的日期有误" in saved.body


# -- submission ---------------------------------------------------------------------------------


def submit(browser: Browser, article: NewsArticle) -> Any:
    return browser.post(f"{BASE}/{article.id}/submit", {"revision_id": str(current_id(article))})


def test_submit_is_refused_while_the_build_would_refuse_the_text(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    save(editor, article, body="正文。\n\n<script>alert(1)</script>\n")
    response = submit(editor, article)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "不能送审" in page_text(page)
    assert "第3行：" in field_block(page, "f-body")
    assert reloaded(article).state == "draft"


def test_submit_is_refused_for_every_sensitive_word_each_shown_and_marked(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    db.session.add_all([SensitiveWord(word="贫困县帽子", suggestion="摘帽"),
                        SensitiveWord(word="扶贫款", suggestion="扶贫资金")])
    db.session.commit()
    editor = Browser(app, desk.editor)
    article = created(editor, title="脱掉贫困县帽子")
    body = "第一段讲扶贫款。\n\n第二段：扶 贫款的去向。\n"
    save(editor, article, title="脱掉贫困县帽子", body=body)
    response = submit(editor, article)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    text = page_text(page).replace(" ", "")
    assert "错敏词（共3处）" in text
    assert "标题第1行第3列：贫困县帽子，建议改为“摘帽”" in text
    assert "正文第1行第5列：扶贫款，建议改为“扶贫资金”" in text
    assert "正文第3行第5列：扶贫款，建议改为“扶贫资金”" in text
    assert "<mark>扶 贫款</mark>" in page and "讲<mark>扶贫款</mark>" in page
    assert "脱掉<mark>贫困县帽子</mark>" in page
    first, second = body.index("扶贫款"), body.index("扶 贫款")
    assert f'data-hits="{first}-{first + 3},{second}-{second + 4}"' in page  # marked in the editor
    assert reloaded(article).state == "draft"

    db.session.execute(SensitiveWord.__table__.delete())
    db.session.commit()
    response = submit(editor, article)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BASE}/{article.id}")
    found = reloaded(article)
    assert (found.state, found.level) == ("in_review", 1)


# -- photos and PDFs ----------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    # A photo's many colours (a flat picture would be kept as PNG).
    image = Image.merge("RGB", [Image.effect_noise((2400, 1600), 60 + 20 * band)
                                for band in range(3)])
    exif = Image.Exif()
    exif[0x010F] = "手机厂商"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (32.0, 34.0, 56.0)
    gps[3], gps[4] = "E", (105.0, 13.0, 7.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the test's premise
    return data


def upload(browser: Browser, article: NewsArticle, data: bytes, name: str, alt: str,
           *, as_json: bool = True) -> Any:
    headers = {"Accept": "application/json"} if as_json else {}
    return browser.client.post(
        f"{BASE}/{article.id}/media", headers=headers, content_type="multipart/form-data",
        data={"csrf_token": browser.token, "alt": alt, "file": (io.BytesIO(data), name)})


def test_a_photo_with_gps_is_stored_clean_beside_the_article(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    response = upload(editor, article, jpeg_with_gps(), "IMG_0001.JPG", "驻村工作队查看春耕")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    match = re.fullmatch(r"!\[驻村工作队查看春耕\]\((chungeng-dongyuan-files/[0-9a-f]{16}\.jpg)\)",
                         answer["markdown"])
    assert match, answer
    stored = layout.content_dir / "news" / match.group(1)
    with Image.open(stored) as image:
        assert image.width == 1600  # scaled to the site's maximum
        assert dict(image.getexif()) == {} and "exif" not in image.info
    assert b"Exif" not in stored.read_bytes()[:4096]
    row = db.session.scalar(select(NewsMedia))
    assert (row.article_id, row.kind, row.path, row.alt) == (
        article.id, "image", f"news/{match.group(1)}", "驻村工作队查看春耕")
    served = editor.get(answer["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == stored.read_bytes()

    # Without script: a redirect back, with the line to paste.
    response = upload(editor, article, jpeg_with_gps(), "b.jpg", "第二张", as_json=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/edit#upload")
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "照片已上传" in page and "![第二张](chungeng-dongyuan-files/" in page


def test_a_text_file_named_png_and_a_photo_without_alt_are_refused_in_chinese(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    response = upload(editor, article, b"just some text, not a picture\n", "photo.png", "一张图")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("“photo.png”不是图片")
    response = upload(editor, article, jpeg_with_gps(), "a.jpg", "  ")
    assert response.status_code == 400
    assert "请填写图片说明" in response.get_json()["error"]
    response = upload(editor, article, b"just some text\n", "photo.png", "一张图", as_json=False)
    assert response.status_code == 303
    assert "不是图片" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(NewsMedia)) == 0
    assert not (layout.content_dir / "news" / "chungeng-dongyuan-files").exists()


def test_a_pdf_attachment_becomes_a_download_link(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    response = upload(editor, article, pdf, "名单.pdf", "2027年帮扶名单")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert re.fullmatch(r"\[2027年帮扶名单（PDF）\]\(chungeng-dongyuan-files/[0-9a-f]{16}\.pdf\)",
                        response.get_json()["markdown"])
    served = editor.get(response.get_json()["url"])
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")


def test_media_files_are_only_the_articles_own(
        app: Flask, desk: Desk, layout: SiteLayout) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    other = created(editor, "qita-gaojian")
    answer = upload(editor, article, jpeg_with_gps(), "a.jpg", "照片").get_json()
    name = answer["url"].rsplit("/media/", 1)[1]
    assert editor.get(f"{BASE}/{article.id}/media/{name}").status_code == 200
    (layout.content_dir / "news" / "secret.txt").write_text("x", encoding="utf-8")
    for bad in (f"{BASE}/{other.id}/media/{name}",  # another article's folder
                f"{BASE}/{article.id}/media/../old-news.md",
                f"{BASE}/{article.id}/media/chungeng-dongyuan-files/../../news/old-news.md",
                f"{BASE}/{article.id}/media/chungeng-dongyuan-files/secret.txt",
                f"{BASE}/{article.id}/media/{name.split('/')[1]}"):
        assert editor.get(bad).status_code == 404, bad


# -- the preview --------------------------------------------------------------------------------


@pytest.fixture
def site(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built site's home page and theme files, as the preview looks for them."""
    root = tmp_path / "site"
    (root / "assets" / "stylesheets").mkdir(parents=True)
    (root / "assets" / "dj").mkdir()
    for name in ("stylesheets/main.57a0d79d.min.css", "stylesheets/palette.fb2fffe2.min.css",
                 "dj/site.css"):
        (root / "assets" / name).write_text("body{}", encoding="utf-8")
    (root / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="assets/stylesheets/main.57a0d79d.min.css">'
        '<link rel="stylesheet" href="assets/stylesheets/palette.fb2fffe2.min.css">'
        '<link rel="stylesheet" href="assets/dj/site.css"></head><body></body></html>',
        encoding="utf-8")
    monkeypatch.setitem(app.config, "SITE_DIR", str(root))
    return root


def test_the_preview_is_the_sites_markdown_and_theme_in_its_own_frame(
        app: Flask, desk: Desk, site: Path) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    body = ("开头一段。\n\n## 会议要求\n\n| 乡镇 | 户数 |\n|:--|--:|\n| 龙泉镇 | 12 |\n\n"
            '!!! note "提示"\n\n    按期落实。\n\n'
            "![照片](chungeng-dongyuan-files/0123456789abcdef.jpg)\n")
    save(editor, article, body=body, tags="春耕")
    response = editor.get(f"{BASE}/{article.id}/preview?revision={current_id(article)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h2 id="会议要求">会议要求</h2>' in page  # the site's slugs
    assert '<td align="right">12</td>' in page and '<div class="admonition note">' in page
    assert "<h1>春耕生产动员会召开</h1>" in page and 'class="dj-meta"' in page  # the build's header
    for href in ("/assets/stylesheets/main.57a0d79d.min.css",
                 "/assets/stylesheets/palette.fb2fffe2.min.css", "/assets/dj/site.css"):
        assert f'<link rel="stylesheet" href="{href}">' in page
    # The article's own pictures come from its media folder.
    assert (f'src="/app/newsroom/{article.id}/media/chungeng-dongyuan-files/0123456789abcdef.jpg"'
            in page)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy  # nothing may run: default-src 'none'
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    edit = editor.get(f"{BASE}/{article.id}/edit")
    assert edit.headers["X-Frame-Options"] == "DENY"  # only the preview may be framed
    assert f'src="/app/newsroom/{article.id}/preview?revision=' in edit.get_data(as_text=True)

    autosave_post(editor, article, "## 还没保存的小标题\n")
    page = editor.get(f"{BASE}/{article.id}/preview?draft=1").get_data(as_text=True)
    assert "还没保存的小标题</h2>" in page and "未保存的内容" in page
    other = created(editor, "qita-gaojian")
    assert editor.get(f"{BASE}/{article.id}/preview?revision={current_id(other)}"
                      ).status_code == 404


def test_the_preview_never_carries_script_from_the_body(
        app: Flask, desk: Desk, site: Path) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    # (A NUL byte never reaches a view: input_guard refuses the request.)
    body = "\n\n".join(f"段落{n}：{payload}" for n, payload in enumerate(BODY_PAYLOADS.values())
                        if "\x00" not in payload)
    assert save(editor, article, body=body).status_code == 200  # saved, with its errors
    page = editor.get(f"{BASE}/{article.id}/preview?revision={current_id(article)}"
                      ).get_data(as_text=True)
    assert html_problems(page, "preview") == []
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "网站不允许的内容" in page  # and says what it left out
    # The autosaved draft goes through the same cleaner.
    autosave_post(editor, article, "<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>")
    page = editor.get(f"{BASE}/{article.id}/preview?draft=1").get_data(as_text=True)
    assert html_problems(page, "draft preview") == [] and "<script>" not in page


def test_a_reviewer_may_preview_but_not_write(app: Flask, desk: Desk, site: Path) -> None:  # noqa: F811
    editor = Browser(app, desk.editor)
    article = created(editor)
    reviewer = Browser(app, desk.r2)
    assert reviewer.get(f"{BASE}/{article.id}/preview").status_code == 200
    assert reviewer.get(f"{BASE}/{article.id}/edit").status_code == 403
    assert upload(reviewer, article, jpeg_with_gps(), "a.jpg", "照片").status_code == 403


def test_the_buffers_fingerprint_is_the_one_editor_js_computes() -> None:
    # The value node computes for the same copy with editor.js's fingerprint()
    # (astral characters included: both count UTF-16 code units).
    copy = {"title": "春耕𠀀", "date": "2027-03-10", "tags": "春耕、扶贫",
            "body": "正文\n第二行 😀"}
    assert autosave.fingerprint(copy) == "e183e63b"
    assert autosave.fingerprint({**copy, "body": "正文"}) != "e183e63b"
    source = (Path(__file__).parents[2] / "learning_app/static/newsroom/editor.js").read_text(
        encoding="utf-8")
    assert "0x811c9dc5" in source and "0x01000193" in source and "'\\u001e'" in source
