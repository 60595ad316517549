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
         f"{PATH}:5: author: a known key (unknown key; allowed: title, date"),
        ({"category": "poverty"}, f"{PATH}:4: category: one of knowledge (扶贫知识)"),
        ({"category": "knowledge", "tags": "精准扶贫"},
         f"{PATH}:5: tags: a list of non-empty texts"),
        ({"category": "knowledge", "credit": "'半小时'"},
         f"{PATH}:5: credit: a number of 学时"),
        ({"category": "knowledge", "credit": 20}, f"{PATH}:5: credit: a number of 学时"),
        ({"category": "knowledge", "id": "Bad_ID"}, f"{PATH}:5: id: lowercase letters"),
        ({"category": "knowledge", "department": 12}, f"{PATH}:5: department: a text"),
    ],
)
def test_field_errors_name_line_and_field(extra: dict[str, object], expected: str) -> None:
    found = errors_of(article(**extra))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_missing_title_and_date_are_reported_together() -> None:
    source = "---\ncategory: cases\n---\n正文\n"
    found = errors_of(source)
    assert f"{PATH}:2: title: required: a non-empty text of at most 120 characters" in found
    assert f"{PATH}:2: date: required: a date as YYYY-MM-DD" in found


@pytest.mark.parametrize("value", ["2026-13-01", "'下个月'", "2026-11-03 08:00:00"])
def test_bad_dates(value: str) -> None:
    found = errors_of(article(date=value, category="knowledge"))
    assert found == [f"{PATH}:3: date: a date as YYYY-MM-DD"]


def test_no_front_matter() -> None:
    assert errors_of("# 标题\n正文\n") == [
        f"{PATH}:1: front matter: a YAML block between --- lines"]


def test_broken_yaml_names_its_line() -> None:
    found = errors_of("---\ntitle: 标题\ndate: 2026-11-03\ntags: [a, b\n---\n")
    assert len(found) == 1
    assert found[0].startswith(f"{PATH}:5: front matter: valid YAML")


def test_duplicate_key() -> None:
    source = "---\ntitle: 一\ndate: 2026-11-03\ncategory: cases\ntitle: 二\n---\n正文"
    assert errors_of(source) == [f"{PATH}:5: title: to appear once"]


def test_column_article_needs_a_category_and_an_issue_folder() -> None:
    assert errors_of(article()) == [
        f"{PATH}:2: category: required in the column: knowledge, measures or cases"]
    found = errors_of(article(category="cases"), "column/misc/x.md")
    assert found == ["column/misc/x.md:1: issue: column articles live in column/YYYY-MM/, "
                     "one folder per issue"]


def test_category_outside_the_column_is_an_error() -> None:
    assert errors_of(article(category="cases"), "news/x.md") == [
        "news/x.md:4: category: no category outside column/ (only column articles have one)"]


def test_duplicate_ids_across_files() -> None:
    sources = [
        ("news/a.md", article(id="same-id")),
        ("policy/b.md", article(id="same-id")),
    ]
    _articles, errors = load_articles(sources)
    assert [str(e) for e in errors] == [
        "policy/b.md:4: id: a unique id: 'same-id' is already used by news/a.md"]


def test_file_name_that_makes_no_id() -> None:
    found = errors_of(article(category="cases"), "column/2026-11/两不愁.md")
    assert found == ["column/2026-11/两不愁.md:2: id: an explicit id: the file name gives ''"]


def test_content_error_lists_every_problem_sorted() -> None:
    error = ContentError([SourceError("b.md", 3, "date", "x"), SourceError("a.md", 9, "id", "y")])
    assert error.render().splitlines() == [
        "2 content error(s):", "  a.md:9: id: y", "  b.md:3: date: x"]
