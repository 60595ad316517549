"""The newsroom's desk (/app/newsroom/) and the menu's 待我审核 count."""

from __future__ import annotations

from flask import Flask

from learning_app.extensions import db
from learning_app.newsroom import service
from tests.app.newsroom_helpers import T0, Browser, page_text
from tests.app.test_newsroom_service import Desk, desk, fm  # noqa: F401  (fixture)


def test_a_reviewer_sees_what_waits_for_them_on_the_desk_and_in_the_menu(
        app: Flask, desk: Desk) -> None:  # noqa: F811
    item = service.create_article(db.session, desk.editor, section="news",
                                  article_id="chungeng-dongyuan",
                                  front_matter=fm("春耕生产动员会召开", "2027-03-10"),
                                  body="县里召开春耕生产动员会。\n", now=T0)
    revision = item.current_revision_id
    assert revision is not None
    service.submit(db.session, item.id, desk.editor, revision_id=revision, now=T0)

    first = page_text(Browser(app, desk.r1).get("/app/newsroom/").get_data(as_text=True))
    assert "待我审核（1）" in first and "春耕生产动员会召开" in first
    assert "在线采编 1" in first  # the menu's count
    # 复审 has nothing yet: the article waits at 初审.
    second = page_text(Browser(app, desk.r2).get("/app/newsroom/").get_data(as_text=True))
    assert "待我审核（0）" in second and "目前没有等您审核的稿件" in second
    # The editor is no reviewer: no 待我审核, but the article in the list, in Chinese.
    editor = page_text(Browser(app, desk.editor).get("/app/newsroom/").get_data(as_text=True))
    assert "待我审核" not in editor and "审核中（初审）" in editor and "in_review" not in editor


def test_a_member_without_a_level_has_no_newsroom(app: Flask, make_member) -> None:  # type: ignore[no-untyped-def]
    member = Browser(app, make_member())
    refused = member.get("/app/newsroom/")
    assert refused.status_code == 403 and "县委组织部" in refused.get_data(as_text=True)
    assert "在线采编" not in page_text(member.get("/app/").get_data(as_text=True))


def test_the_editor_sees_the_return_comment_where_they_edit(app: Flask, desk: Desk) -> None:  # noqa: F811
    item = service.create_article(db.session, desk.editor, section="news",
                                  article_id="chungeng-tuihui",
                                  front_matter=fm("春耕生产动员会召开", "2027-03-10"),
                                  body="县里召开春耕生产动员会。\n", now=T0)
    revision = item.current_revision_id
    assert revision is not None
    service.submit(db.session, item.id, desk.editor, revision_id=revision, now=T0)
    service.return_article(db.session, item.id, desk.r1, level=1, revision_id=revision,
                           comment="请补充参会人数的出处", now=T0)
    edit = page_text(Browser(app, desk.editor).get(f"/app/newsroom/{item.id}/edit")
                     .get_data(as_text=True))
    assert "退回修改的意见" in edit and "请补充参会人数的出处" in edit and "初审人" in edit
    assert edit.index("请补充参会人数的出处") < edit.index("标题")  # above the fields
