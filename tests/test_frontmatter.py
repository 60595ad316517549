"""Contract 1: every front matter problem names path:line, the field and what was expected."""

from __future__ import annotations

import pytest

from site_builder.articles import load_article, load_articles
from site_builder.errors import ContentError, SourceError
from tests.conftest import article

PATH = "column/2026-11/sample.md"


def errors_of(source: str, path: str = PATH) -> list[str]:
    _article, errors = load_article(path, source)
    return [str(err) for err in errors]


def test_valid_article_loads_with_defaults() -> None:
    loaded, errors = load_article(PATH, article(category="knowledge", tags="[精准扶贫]"))
    assert errors == []
    assert loaded is not None
    assert loaded.id == "sample"
    assert loaded.issue == "2026-11"
    assert loaded.tags == ("精准扶贫",)
    assert loaded.summary == "这是正文的第一段，讲两不愁三保障。"
    assert loaded.url == "column/2026-11/sample/"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"category": "knowledge", "author": "张三"},
         f"{PATH}:5: author: 不认识的键（可用的键：title, date"),
        ({"category": "poverty"}, f"{PATH}:4: category: 应为 knowledge（扶贫知识）"),
        ({"category": "knowledge", "tags": "精准扶贫"},
         f"{PATH}:5: tags: 应为不空的文字列表"),
        ({"category": "knowledge", "credit": "'半小时'"},
         f"{PATH}:5: credit: 应为学时数"),
        ({"category": "knowledge", "credit": 20}, f"{PATH}:5: credit: 应为学时数"),
        ({"category": "knowledge", "id": "Bad_ID"},
         f"{PATH}:5: id: 应由小写字母、数字和单个连字符组成"),
        ({"category": "knowledge", "department": 12}, f"{PATH}:5: department: 应为发布部门的名称"),
    ],
)
def test_field_errors_name_line_and_field(extra: dict[str, object], expected: str) -> None:
    found = errors_of(article(**extra))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_missing_title_and_date_are_reported_together() -> None:
    source = "---\ncategory: cases\n---\n正文\n"
    found = errors_of(source)
    assert f"{PATH}:2: title: 必填，应为不超过 120 字的标题，不能为空" in found
    assert f"{PATH}:2: date: 必填，应为 YYYY-MM-DD 格式的日期，如 2026-12-01" in found


@pytest.mark.parametrize("value", ["2026-13-01", "'下个月'", "2026-11-03 08:00:00"])
def test_bad_dates(value: str) -> None:
    found = errors_of(article(date=value, category="knowledge"))
    assert found == [f"{PATH}:3: date: 应为 YYYY-MM-DD 格式的日期，如 2026-12-01"]


def test_no_front_matter() -> None:
    assert errors_of("# 标题\n正文\n") == [
        f"{PATH}:1: front matter: 文件开头应有两行 --- 夹住的 YAML 块（标题、日期等）"]


def test_broken_yaml_names_its_line() -> None:
    found = errors_of("---\ntitle: 标题\ndate: 2026-11-03\ntags: [a, b\n---\n")
    assert len(found) == 1
    assert found[0].startswith(f"{PATH}:5: front matter: YAML 格式有误")


def test_duplicate_key() -> None:
    source = "---\ntitle: 一\ndate: 2026-11-03\ncategory: cases\ntitle: 二\n---\n正文"
    assert errors_of(source) == [f"{PATH}:5: title: 只能出现一次"]


def test_column_article_needs_a_category_and_an_issue_folder() -> None:
    assert errors_of(article()) == [
        f"{PATH}:2: category: 专栏文章必填，应为 knowledge（扶贫知识）、measures（部门措施）、"
        "cases（先进案例）之一"]
    found = errors_of(article(category="cases"), "column/misc/x.md")
    assert found == ["column/misc/x.md:1: issue: 专栏文章应放在 column/YYYY-MM/ 下，每期一个文件夹"]


def test_category_outside_the_column_is_an_error() -> None:
    assert errors_of(article(category="cases"), "news/x.md") == [
        "news/x.md:4: category: 只有专栏（column/）文章有分类，这里不能填"]


def test_duplicate_ids_across_files() -> None:
    sources = [
        ("news/a.md", article(id="same-id")),
        ("policy/b.md", article(id="same-id")),
    ]
    _articles, errors = load_articles(sources)
    # Both files hear it, whichever sorts first: a draft checked alone too.
    assert [str(e) for e in errors] == [
        "news/a.md:4: id: id 应唯一：“same-id”已被 policy/b.md 使用",
        "policy/b.md:4: id: id 应唯一：“same-id”已被 news/a.md 使用"]


def test_file_name_that_makes_no_id() -> None:
    found = errors_of(article(category="cases"), "column/2026-11/两不愁.md")
    assert found == ["column/2026-11/两不愁.md:2: id: 应填写 id（小写字母、数字和连字符）："
                     "由文件名得到的“”不能用"]


def test_content_error_lists_every_problem_sorted() -> None:
    error = ContentError([SourceError("b.md", 3, "date", "x"), SourceError("a.md", 9, "id", "y")])
    assert error.render().splitlines() == [
        "2 content error(s):", "  a.md:9: id: y", "  b.md:3: date: x"]
