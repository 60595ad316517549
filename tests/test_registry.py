"""The article-id registry: published ids never vanish, move or come back."""

from __future__ import annotations

from site_builder import registry
from site_builder.articles import Article, load_article
from tests.conftest import article


def make(path: str, article_id: str) -> Article:
    loaded, errors = load_article(path, article(id=article_id))
    assert not errors and loaded is not None
    return loaded


def test_new_ids_are_registered_and_rendered_sorted() -> None:
    result = registry.check({}, [make("news/b.md", "b-id"), make("news/a.md", "a-id")])
    assert result.errors == [] and result.changed
    assert result.added == ["b-id", "a-id"]
    text = registry.render(result.entries)
    assert text.endswith("a-id\tnews/a.md\nb-id\tnews/b.md\n")
    parsed, errors = registry.parse(text)
    assert errors == [] and parsed == result.entries


def test_unchanged_content_changes_nothing() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\n")
    result = registry.check(entries, [make("news/a.md", "a-id")])
    assert result.errors == [] and not result.changed


def test_a_published_id_may_not_disappear() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\nb-id\tnews/b.md\n")
    result = registry.check(entries, [make("news/a.md", "a-id")])
    assert [str(e) for e in result.errors] == [
        "news/b.md:1: id: published id 'b-id' to stay (credits hang on it): keep 'id: b-id' "
        "in the article's front matter, or mark it retired in content/.article-ids"]


def test_changing_an_articles_id_is_reported() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\n")
    result = registry.check(entries, [make("news/a.md", "renamed-id")])
    assert len(result.errors) == 1
    assert "published id 'a-id' to stay" in str(result.errors[0])


def test_an_id_may_not_move_to_another_article() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\nb-id\tnews/b.md\n")
    result = registry.check(entries, [make("news/a.md", "b-id"), make("news/b.md", "x-id")])
    messages = [str(e) for e in result.errors]
    assert "news/a.md:4: id: the id of this article: 'b-id' belongs to news/b.md" in messages


def test_moving_a_file_keeps_its_id() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\n")
    result = registry.check(entries, [make("policy/a.md", "a-id")])
    assert result.errors == []
    assert result.entries["a-id"].path == "policy/a.md"


def test_retired_ids_may_go_but_never_come_back() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\tretired\n")
    assert registry.check(entries, []).errors == []
    result = registry.check(entries, [make("news/new.md", "a-id")])
    assert [str(e) for e in result.errors] == [
        "news/new.md:4: id: a new id: 'a-id' was retired and is never reused"]


def test_malformed_registry_lines() -> None:
    _entries, errors = registry.parse("# comment\nonly-one-field\na\tb\tgone\n")
    assert [str(e) for e in errors] == [
        ".article-ids:2: registry: 'id<TAB>path' or 'id<TAB>path<TAB>retired'",
        ".article-ids:3: registry: 'id<TAB>path' or 'id<TAB>path<TAB>retired'"]
