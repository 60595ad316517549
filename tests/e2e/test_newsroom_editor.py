"""The newsroom's editor in Debian's chromium on a 390px phone: a new article, the
Markdown editor (EasyMDE) under the app's CSP without one violation, typing kept
by autosave and offered back after a reload (also typing done while offline,
kept on the device), the preview in the site's theme, and the pages fit the
phone, have no text under 16px and pass axe-core (no serious or critical
violation). Screenshots at 390px and 1280px go to tmp_path for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import READER_PASSWORD, running_app, sign_in
from tests.e2e.test_trust_pages import reads_well

EDITOR = "E2EED1"
TOOLBAR = ["加粗", "小标题", "引用", "列表", "编号", "链接", "表格", "插入照片", "撤销", "重做"]


def add_editor() -> None:
    from sqlalchemy import select

    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Member, Organization

    county = db.session.scalar(select(Organization).where(Organization.code == "QC"))
    assert county is not None
    member = Member(code=EDITOR, name="宣传编辑张敏", phone="13500009999", role="editor",
                    password_hash=hash_password(READER_PASSWORD), must_change_password=False)
    db.session.add(member)
    db.session.flush()
    open_membership(db.session, member, county, dt.date(2020, 1, 1))
    db.session.commit()


@pytest.fixture
def editor_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    # The real built site: the preview links its theme's stylesheets.
    overrides = {"CONTENT_DIR": str(tmp_path / "content"),
                 "HUEY_SQLITE_PATH": str(tmp_path / "jobs.db"), "HUEY_IMMEDIATE": True}
    (tmp_path / "content").mkdir()
    with running_app(site_dir, port, tmp_path / "editor.db", member_code="E2EED0",
                     member_name="王学习", overrides=overrides, setup=add_editor) as url:
        yield url


def editor_text(page: Any) -> str:
    return str(page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()"))


def test_the_editor_keeps_typing_across_a_reload_on_a_phone(
        editor_server: str, phone: Any, browser: Any, tmp_path: Path) -> None:
    base = editor_server
    page = phone.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(base) else None)
    sign_in(page, base, EDITOR)

    page.goto(base + "/app/newsroom/new")
    reads_well(page, "写新稿件")
    assert page.is_hidden("[data-section-only=column]")  # 新闻动态: no category
    page.check("input[name=section][value=column]")
    assert page.is_visible("[data-section-only=column]")
    assert re.fullmatch(r"zhuanlan-\d{8}", page.input_value("#f-id"))
    page.check("input[name=section][value=news]")
    page.fill("#f-id", "chungeng-dongyuan")
    page.fill("#f-title", "春耕生产动员会召开")
    page.click("button:has-text('建立稿件')")
    page.wait_for_url(re.compile(r".*/app/newsroom/\d+/edit$"))
    edit_url = page.url

    page.wait_for_selector(".EasyMDEContainer .CodeMirror")
    buttons = page.eval_on_selector_all(".editor-toolbar button",
                                        "buttons => buttons.map(b => b.textContent)")
    assert buttons == TOOLBAR
    page.click(".CodeMirror")
    page.keyboard.type("今天上午，县里召开春耕生产动员会。")
    page.wait_for_selector("#autosave-status:has-text('已自动保存')", timeout=15000)
    page.screenshot(path=str(tmp_path / "edit-390.png"), full_page=True)
    page.locator("#body").screenshot(path=str(tmp_path / "editor-390.png"))
    page.locator("#upload").screenshot(path=str(tmp_path / "upload-390.png"))
    reads_well(page, "修改稿件")

    # A reload: the autosaved text is offered back, and comes back.
    page.reload()
    page.wait_for_selector("a:has-text('恢复未保存的内容')")
    assert page.locator("button[data-local-restore]").count() == 0  # the same text: one offer
    assert "今天上午" not in editor_text(page)
    page.click("a:has-text('恢复未保存的内容')")
    page.wait_for_selector(".EasyMDEContainer .CodeMirror")
    assert "今天上午，县里召开春耕生产动员会。" in editor_text(page)
    reads_well(page, "修改稿件（已恢复）")

    # The connection lost (every autosave fails, the page itself still reloads): the
    # typing stays on the device, and is offered after the reload.
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    page.click(".CodeMirror")
    page.keyboard.press("End")
    page.keyboard.type("断网时写的一句。")
    page.wait_for_selector("#autosave-status:has-text('网络断开，内容已暂存在本机')", timeout=15000)
    page.goto(edit_url)
    page.wait_for_selector("button:has-text('恢复未保存的内容')")  # this device's copy
    assert "本机暂存了未保存的内容" in page.inner_text("main")
    page.click("button[data-local-restore]")
    assert "断网时写的一句。" in editor_text(page)
    page.unroute("**/autosave")

    # Saved: one new version, nothing left to offer.
    page.click("#draft-form button[type=submit]")
    page.wait_for_selector("text=已保存为第2版")
    assert page.locator("text=恢复未保存的内容").count() == 0 or page.is_hidden(
        "text=恢复未保存的内容")
    frame = page.frame_locator("#preview-frame")
    frame.locator("h1:has-text('春耕生产动员会召开')").wait_for()
    assert "断网时写的一句" in frame.locator("article").inner_text()
    page.screenshot(path=str(tmp_path / "saved-390.png"), full_page=True)

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  storage_state=phone.storage_state())
    wide = desktop.new_page()
    wide.on("console", lambda message: console.append(message.text))
    wide.goto(edit_url)
    wide.wait_for_selector(".EasyMDEContainer .CodeMirror")
    wide.click("label[for=pw-desk]")
    wide.frame_locator("#preview-frame").locator("h1").wait_for()
    wide.screenshot(path=str(tmp_path / "edit-1280.png"), full_page=True)
    desktop.close()

    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
    assert outside == []  # nothing from another host
    print("screenshots:", sorted(str(p) for p in tmp_path.glob("*.png")))
