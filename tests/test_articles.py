"""Reading time, credit and summary rules for Chinese text."""

from __future__ import annotations

from site_builder.articles import (
    default_credit,
    default_id,
    first_paragraph,
    is_article_path,
    reading_stats,
)


def test_chinese_is_counted_by_character_not_by_word() -> None:
    # Material's blog readtime would count this as one "word".
    text = "两不愁三保障" * 100  # 600 Han characters
    stats = reading_stats(text)
    assert stats.chars == 600
    assert stats.required_seconds == 90  # 400 characters a minute
    assert stats.minutes == 2


def test_markup_links_and_code_do_not_count() -> None:
    text = (
        "## 标题\n\n请看[退出标准](../policy/exit-standards.md)。\n\n"
        "<span class=\"x\">注</span>\n\n```\ncode block not read\n```\n"
    )
    stats = reading_stats(text)
    assert stats.chars == len("标题请看退出标准注")


def test_latin_words_and_numbers_take_longer_than_characters() -> None:
    stats = reading_stats("脱贫 LPR 利率 2026 年")
    # 5 Han characters (0.75 s) + 2 words (0.6 s) -> 2 seconds, rounded up
    assert stats.chars == 7
    assert stats.required_seconds == 2


def test_default_credit_is_reading_time_in_45_minute_hours() -> None:
    assert default_credit(0) == 0.1  # never zero: every article earns something
    assert default_credit(2700) == 1.0
    assert default_credit(1350) == 0.5
    assert default_credit(405) == 0.2  # 0.15 rounds half up


def test_first_paragraph_skips_headings_lists_and_strips_markup() -> None:
    md = "## 标题\n\n- 列表\n\n这是**第一段**，见[链接](x.md)。\n\n第二段。"
    assert first_paragraph(md) == "这是第一段，见链接。"
    assert first_paragraph("长" * 150, limit=10) == "长" * 9 + "…"


def test_article_paths_and_ids() -> None:
    assert is_article_path("column/2026-11/a.md")
    assert is_article_path("news/a.md")
    assert not is_article_path("news/index.md")
    assert not is_article_path("index.md")
    assert not is_article_path("about.md")
    assert default_id("column/2026-11/Liang_Exit.md") == "liang-exit"
    assert default_id("policy/county-plan.md") == "policy-county-plan"
