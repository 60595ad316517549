"""The article-id registry: published ids never vanish, move or come back."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from site_builder import registry
from site_builder.articles import Article, load_article
from tests.conftest import ROOT, TODAY, article
from tests.sitebuild import mkdocs_build


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
        "news/b.md:1: id: 已发布的 id“b-id”应保留（学时记录挂在它上面）：请在文章的 front matter "
        "中保留“id: b-id”，或在 content/.article-ids 中把它标为 retired"]


def test_changing_an_articles_id_is_reported() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\n")
    result = registry.check(entries, [make("news/a.md", "renamed-id")])
    assert len(result.errors) == 1
    assert "已发布的 id“a-id”应保留" in str(result.errors[0])


def test_an_id_may_not_move_to_another_article() -> None:
    entries, _ = registry.parse("a-id\tnews/a.md\nb-id\tnews/b.md\n")
    result = registry.check(entries, [make("news/a.md", "b-id"), make("news/b.md", "x-id")])
    messages = [str(e) for e in result.errors]
    assert "news/a.md:4: id: 应换一个 id：“b-id”已发布，属于 news/b.md" in messages


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
        "news/new.md:4: id: 应换一个 id：“a-id”已撤销（retired），永不复用"]


def test_malformed_registry_lines() -> None:
    _entries, errors = registry.parse("# comment\nonly-one-field\na\tb\tgone\n")
    assert [str(e) for e in errors] == [
        ".article-ids:2: registry: 每行应为“id<TAB>路径”或“id<TAB>路径<TAB>retired”",
        ".article-ids:3: registry: 每行应为“id<TAB>路径”或“id<TAB>路径<TAB>retired”"]


def test_a_scheduled_article_keeps_its_registered_id() -> None:
    """A build dated before an article's day (a test, a benchmark) is no disappearance."""
    entries, _ = registry.parse("a-id\tnews/a.md\n")
    later = make("news/a.md", "a-id")
    result = registry.check(entries, [], [later])
    assert result.errors == [] and not result.changed


def test_a_scheduled_article_is_checked_but_not_registered() -> None:
    entries, _ = registry.parse("old-id\tnews/old.md\tretired\nb-id\tnews/b.md\n")
    result = registry.check(entries, [make("news/b.md", "b-x")],
                            [make("news/new.md", "old-id"), make("news/c.md", "b-id"),
                             make("news/d.md", "fresh-id")])
    assert sorted(str(e) for e in result.errors) == [
        "news/c.md:4: id: 应换一个 id：“b-id”已发布，属于 news/b.md",
        "news/new.md:4: id: 应换一个 id：“old-id”已撤销（retired），永不复用"]
    assert result.added == ["b-x"] and "fresh-id" not in result.entries


def test_locate_follows_site_registry(tmp_path: Path) -> None:
    content = tmp_path / "content"
    same = registry.locate(content, environ={})
    assert same.target == same.committed == content / ".article-ids" and not same.separate
    local = registry.locate(content, environ={"SITE_REGISTRY": "instance/article-ids"})
    assert local.target == tmp_path / "instance/article-ids" and local.separate
    other = registry.locate(content, project_dir=tmp_path / "p",
                            environ={"SITE_REGISTRY": str(tmp_path / "abs")})
    assert other.target == tmp_path / "abs"
    assert not registry.locate(content, environ={
        "SITE_REGISTRY": str(content / ".article-ids")}).separate


def test_the_local_file_adds_to_the_committed_one(tmp_path: Path) -> None:
    files = registry.Files(tmp_path / "content/.article-ids", tmp_path / "instance/ids")
    files.committed.parent.mkdir()
    committed = "a-id\tnews/a.md\nb-id\tnews/b.md\n"
    files.committed.write_text(registry.HEADER + committed, encoding="utf-8")
    files.target.parent.mkdir()
    files.target.write_text("b-id\tnews/elsewhere.md\tretired\nc-id\tnews/c.md\n",
                            encoding="utf-8")
    entries, errors = registry.load(files)
    assert errors == []
    assert entries == {"a-id": registry.Entry("a-id", "news/a.md"),
                       "b-id": registry.Entry("b-id", "news/b.md", retired=True),
                       "c-id": registry.Entry("c-id", "news/c.md")}


def test_save_to_another_file_writes_only_what_the_committed_one_lacks(tmp_path: Path) -> None:
    files = registry.Files(tmp_path / "content/.article-ids", tmp_path / "instance/ids")
    files.committed.parent.mkdir()
    files.committed.write_text(registry.HEADER + "a-id\tnews/a.md\n", encoding="utf-8")
    before = files.committed.read_bytes()
    registered, _ = registry.load(files)  # the target doesn't exist yet
    result = registry.check(registered, [make("news/a.md", "a-id"), make("news/n.md", "n-id")])
    assert registry.save(files, result.entries)
    assert files.committed.read_bytes() == before
    assert files.target.read_text(encoding="utf-8") == registry.LOCAL_HEADER + "n-id\tnews/n.md\n"
    assert not registry.save(files, result.entries)  # nothing new: not rewritten
    assert sorted(p.name for p in files.target.parent.iterdir()) == ["ids"]  # no temp left


# -- real builds ---------------------------------------------------------------------------

def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_site_registry_builds_write_only_the_given_file(make_project) -> None:
    tracked = digest(ROOT / "content/.article-ids")
    project = make_project({
        "news/old.md": article(id="old-news"),
        "news/fresh.md": article(id="fresh-news"),
        ".article-ids": registry.HEADER + "old-news\tnews/old.md\n",
    })
    committed = project / "content/.article-ids"
    before = committed.read_bytes()
    result = mkdocs_build(project, today=TODAY, registry="instance/article-ids")
    assert result.returncode == 0, result.stderr
    assert committed.read_bytes() == before
    local = project / "instance/article-ids"
    assert local.read_text(encoding="utf-8") == (
        registry.LOCAL_HEADER + "fresh-news\tnews/fresh.md\n")
    # Ids the installation published stay, though only its own file lists them.
    (project / "content/news/fresh.md").unlink()
    result = mkdocs_build(project, today=TODAY, registry="instance/article-ids")
    assert result.returncode != 0
    assert "news/fresh.md:1: id: 已发布的 id“fresh-news”应保留" in result.stderr
    assert committed.read_bytes() == before
    assert digest(ROOT / "content/.article-ids") == tracked


def test_without_site_registry_the_build_writes_the_committed_file(make_project) -> None:
    project = make_project({"news/fresh.md": article(id="fresh-news")})
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode == 0, result.stderr
    assert "fresh-news\tnews/fresh.md\n" in (project / "content/.article-ids").read_text(
        encoding="utf-8")
    assert not (project / "instance").exists()


def test_a_scheduled_registered_article_does_not_fail_the_build(tmp_path: Path) -> None:
    """The real registry lists December's ids; a build on 26 November still passes,
    leaves them out of the site and the registry as it was. A deleted one fails."""
    project = tmp_path / "p"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    registry_file = project / "content/.article-ids"
    before = registry_file.read_bytes()
    assert b"dongji-gongshui\tcolumn/2026-12/dongji-gongshui.md\n" in before
    result = mkdocs_build(project, today="2026-11-26")
    assert result.returncode == 0, result.stderr
    assert registry_file.read_bytes() == before
    manifest = json.loads((project / "site/learning-manifest.json").read_text("utf-8"))
    ids = {entry["id"] for entry in manifest["articles"]}
    assert "liangbuchou-exit" in ids and "dongji-gongshui" not in ids
    (project / "content/column/2026-12/dongji-gongshui.md").unlink()
    result = mkdocs_build(project, today="2026-11-26")
    assert result.returncode != 0
    assert ("column/2026-12/dongji-gongshui.md:1: id: 已发布的 id“dongji-gongshui”应保留"
            in result.stderr)
    assert registry_file.read_bytes() == before
