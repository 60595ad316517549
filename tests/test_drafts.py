"""One validator (issue 12): a newsroom draft is checked by the build's own rules."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from site_builder import registry
from site_builder.drafts import check_draft
from site_builder.errors import SourceError
from tests.conftest import ROOT, TODAY
from tests.sitebuild import mkdocs_build

BUILD_DAY = dt.date.fromisoformat(TODAY)
PATH = "column/2026-12/new-draft.md"
CONTENT = ROOT / "content"  # only read: check_draft writes nothing
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _no_site_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.ENV, raising=False)


def draft(body: str = "", **meta: object) -> str:
    """An article as the newsroom writes it; a key given as None is left out."""
    fields: dict[str, object] = {"title": "冬季防返贫监测要点", "date": "2026-12-15",
                                 "category": "knowledge", "id": "new-draft-id", **meta}
    lines = [f"{key}: {value}" for key, value in fields.items() if value is not None]
    return ("---\n" + "\n".join(lines) + "\n---\n\n这是正文的第一段，讲两不愁三保障。\n"
            + body)


def check(text: str, path: str = PATH, **kwargs: object) -> list[SourceError]:
    return check_draft(text, path=path, content_dir=CONTENT, today=BUILD_DAY, **kwargs)


def fields(errors: list[SourceError]) -> list[tuple[str, str]]:
    return [(error.field, error.message) for error in errors]


def test_a_good_draft_passes() -> None:
    assert check(draft()) == []
    assert check(draft(date="2026-11-20")) == []  # published today: it would be registered


def test_an_existing_article_checked_as_a_draft_passes() -> None:
    path = "column/2026-11/liangbuchou-exit.md"
    assert check((CONTENT / path).read_text(encoding="utf-8"), path) == []


def test_a_bad_category() -> None:
    found = check(draft(category="poverty"))
    assert fields(found) == [
        ("category", "应为 knowledge（扶贫知识）、measures（部门措施）、cases（先进案例）之一")]
    assert str(found[0]) == f"{PATH}:4: category: " + found[0].message
    assert fields(check(draft(category=None))) == [
        ("category", "专栏文章必填，应为 knowledge（扶贫知识）、measures（部门措施）、"
                     "cases（先进案例）之一")]
    assert fields(check(draft(), "news/new-draft.md")) == [
        ("category", "只有专栏（column/）文章有分类，这里不能填")]


@pytest.mark.parametrize("value", ["2026-13-01", "'下周一'", "2026-12-15 08:00:00"])
def test_a_bad_date(value: str) -> None:
    assert fields(check(draft(date=value))) == [
        ("date", "应为 YYYY-MM-DD 格式的日期，如 2026-12-01")]


def test_a_missing_date_and_an_unknown_key() -> None:
    found = fields(check(draft(date=None, author="张三")))
    assert ("date", "必填，应为 YYYY-MM-DD 格式的日期，如 2026-12-01") in found
    assert any(field == "author" and message.startswith("不认识的键") for field, message in found)


def test_an_id_another_article_holds() -> None:
    # Published and registered:
    assert fields(check(draft(id="liangbuchou-exit"))) == [
        ("id", "id 应唯一：“liangbuchou-exit”已被 column/2026-11/liangbuchou-exit.md 使用")]
    # Scheduled (dated after the build day), so not registered yet:
    assert fields(check(draft(id="dongxi-xiezuo"))) == [
        ("id", "id 应唯一：“dongxi-xiezuo”已被 column/2026-12/dongxi-xiezuo.md 使用")]
    # A column article's default id is its file name:
    assert fields(check(draft(id=None), "column/2026-12/minzheng-doudi.md")) == [
        ("id", "id 应唯一：“minzheng-doudi”已被 column/2026-11/minzheng-doudi.md 使用")]


def test_an_id_the_registry_gives_another_path() -> None:
    """The registry says whose it is, even when that article now carries another id."""
    registered, _ = registry.load_file(CONTENT / ".article-ids")
    registered["taken-id"] = registry.Entry("taken-id", "column/2026-11/liangbuchou-exit.md")
    assert fields(check(draft(id="taken-id"), registry=registered)) == [
        ("id", "应换一个 id：“taken-id”已发布，属于 column/2026-11/liangbuchou-exit.md")]


def test_a_retired_id() -> None:
    registered, _ = registry.load_file(CONTENT / ".article-ids")
    registered["old-notice"] = registry.Entry("old-notice", "news/old-notice.md", retired=True)
    for date in ("2026-11-20", "2026-12-15"):  # published today or scheduled alike
        assert fields(check(draft(id="old-notice", date=date), registry=registered)) == [
            ("id", "应换一个 id：“old-notice”已撤销（retired），永不复用")]


def test_changing_a_published_articles_id() -> None:
    path = "column/2026-11/liangbuchou-exit.md"
    text = (CONTENT / path).read_text(encoding="utf-8").replace(
        "id: liangbuchou-exit", "id: liangbuchou-renamed")
    found = check(text, path)
    assert [e.field for e in found] == ["id"]
    assert found[0].message.startswith("已发布的 id“liangbuchou-exit”应保留（学时记录挂在它上面）")


def test_a_script_in_the_body() -> None:
    text = draft("\n<script>alert(document.cookie)</script>\n\n[点我](javascript:alert(1))\n")
    body_line = text.splitlines().index("<script>alert(document.cookie)</script>") + 1
    found = check(text)
    assert [(e.field, e.line) for e in found] == [("html", body_line), ("html", body_line + 2)]
    assert found[0].message.startswith("不允许的标签 <script>")
    assert found[1].message.startswith("不允许的地址 javascript:alert(1)")


def test_a_contradiction_of_the_plan() -> None:
    text = draft("\n全县统一把每月5日定为固定主题党日。\n")
    found = check(text)
    assert [e.field for e in found] == ["plan"]
    assert found[0].line == len(text.splitlines())
    assert found[0].message.startswith("与《方案》") and "每月5日" in found[0].message


@pytest.mark.parametrize("path", ["../x.md", "/etc/x.md", "news/../../x.md", "news/.x.md",
                                  "news/x.txt", "tags/x.md", "news\\x.md", ""])
def test_a_path_outside_the_sections(path: str) -> None:
    assert [e.field for e in check(draft(category=None), path)] == ["path"]


def test_a_column_article_outside_an_issue_folder() -> None:
    assert fields(check(draft(), "column/x.md")) == [
        ("issue", "专栏文章应放在 column/YYYY-MM/ 下，每期一个文件夹")]


def test_every_message_a_draft_author_sees_is_chinese() -> None:
    bad = draft("\n<img src=x onerror=alert(1)>\n\n全县统一把每月5日定为固定主题党日。\n",
                category="poverty", credit=20, tags="精准扶贫", id="Bad_ID", author="张三")
    found = check(bad) + check("没有 front matter 的正文") + check(draft(), "news/../x.md")
    found += check("---\ntitle: [未闭合\n---\n正文\n")
    assert len(found) >= 8
    assert [str(e) for e in found if not HAN.search(e.message)] == []


def test_the_build_and_the_draft_check_say_the_same(tmp_path: Path) -> None:
    """The same bad file: every line the build prints for it, check_draft returns."""
    project = tmp_path / "p"
    shutil.copytree(CONTENT, project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    files = {
        PATH: draft("\n<script>alert(1)</script>\n\n全县统一把每月5日定为固定主题党日。\n",
                    category="poverty"),
        "column/2026-12/late-copy.md": draft("\n<iframe src=/app/></iframe>\n",
                                             id="liangbuchou-exit"),
        "news/early.md": draft("\n县级领导每季度到联系村不少于1次。\n", category="cases",
                               id="old-notice", date="2026-11-20"),
    }
    registered, _ = registry.load_file(project / "content/.article-ids")
    registered["old-notice"] = registry.Entry("old-notice", "news/old-notice.md", retired=True)
    (project / "content/.article-ids").write_text(registry.render(registered), encoding="utf-8")
    expected: dict[str, list[str]] = {}
    for path, text in files.items():
        found = check_draft(text, path=path, content_dir=project / "content", today=BUILD_DAY)
        assert found, path
        expected[path] = sorted(str(e) for e in found)
    for path, text in files.items():
        (project / "content" / path).write_text(text, encoding="utf-8")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    printed = [line.strip() for line in result.stderr.splitlines()]
    for path, lines in expected.items():
        assert sorted(line for line in printed if line.startswith(f"{path}:")) == lines
    fields_seen = {line.split(": ")[1] for lines in expected.values() for line in lines}
    assert fields_seen == {"category", "html", "plan", "id"}
