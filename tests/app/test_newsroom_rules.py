"""The newsroom's review workflow and its helpers as plain functions: every
transition, every refusal, 错敏词 matching, diffs, corrections and freshness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
import yaml

from learning_app.errors import Refused
from learning_app.newsroom import rules
from learning_app.newsroom.rules import Actor, Outcome, Situation
from learning_app.newsroom.words import (
    Hit,
    SensitiveWordsFound,
    Word,
    article_texts,
    find_hits,
    refusal_message,
)
from site_builder.frontmatter import FrontMatter

LEVELS = ("初审", "复审", "终审签发")
TODAY = dt.date(2027, 3, 10)
AUTHOR, R1, R2, R3, OTHER = 1, 11, 12, 13, 99
EDITOR = Actor(AUTHOR, editor=True)
REVIEWER = {1: Actor(R1, levels=frozenset({1})), 2: Actor(R2, levels=frozenset({2})),
            3: Actor(R3, levels=frozenset({3}))}


def at(level: int, **changes: object) -> Situation:
    """An article waiting at ``level``, revision 7 (number 2), written by AUTHOR."""
    base = Situation(state="in_review", level=level, level_names=LEVELS,
                     current_revision_id=7, current_number=2,
                     edition_authors=frozenset({AUTHOR}))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def refused(call: object, *args: object, **kwargs: object) -> Refused:
    with pytest.raises(Refused) as error:
        call(*args, **kwargs)  # type: ignore[operator]
    return error.value


def sign(situation: Situation, actor: Actor, date: dt.date = TODAY, **extra: object) -> Outcome:
    kwargs: dict[str, object] = {"level": 3, "revision_id": 7, "secrecy_confirmed": True,
                                 "date": date, "today": TODAY, "live_date": None,
                                 "backdate_reason": None, **extra}
    return rules.check_final_approve(situation, actor, **kwargs)  # type: ignore[arg-type]


# -- transitions -----------------------------------------------------------------------


def test_the_whole_path_draft_to_signed() -> None:
    draft = at(0, state="draft")
    assert rules.check_submit(draft, EDITOR, revision_id=7) == ("in_review", 1)
    assert rules.check_approve(at(1), REVIEWER[1], level=1, revision_id=7) == ("in_review", 2)
    assert rules.check_approve(at(2), REVIEWER[2], level=2, revision_id=7) == ("in_review", 3)
    assert sign(at(3), REVIEWER[3]) == ("approved", 0)
    assert sign(at(3), REVIEWER[3], date=TODAY + dt.timedelta(days=1)) == ("scheduled", 0)


def test_return_then_resubmit_starts_at_level_one() -> None:
    assert rules.check_return(at(2), REVIEWER[2], level=2, revision_id=7,
                              comment="第二段数据请核实") == ("returned", 0)
    assert rules.check_write(at(0, state="returned"), EDITOR) == ("returned", 0)
    assert rules.check_submit(at(0, state="returned"), EDITOR, revision_id=7) == ("in_review", 1)


def test_a_return_needs_a_comment() -> None:
    error = refused(rules.check_return, at(1), REVIEWER[1], level=1, revision_id=7,
                    comment="  ")
    assert error.status == 400 and "修改意见" in error.message


@pytest.mark.parametrize("level", [1, 2, 3])
def test_an_edit_restarts_review_at_level_one(level: int) -> None:
    assert rules.check_edit(at(level), REVIEWER[level], level=level,
                            base_revision_id=7) == ("in_review", 1)


def test_an_edit_on_a_text_changed_meanwhile_is_refused() -> None:
    error = refused(rules.check_edit, at(2), REVIEWER[2], level=2, base_revision_id=6)
    assert error.status == 409 and "第2版" in error.message


def test_the_editor_who_edited_at_level_one_cant_approve_it() -> None:
    edited = at(1, edition_authors=frozenset({AUTHOR, R1}))
    error = refused(rules.check_approve, edited, REVIEWER[1], level=1, revision_id=7)
    assert error.status == 403 and "自己" in error.message


@pytest.mark.parametrize(("state", "live", "after"), [
    ("draft", False, "draft"), ("returned", False, "returned"),
    ("approved", False, "draft"), ("scheduled", False, "draft"),
    ("published", True, "draft"),  # a correction: the live text stays until replaced
])
def test_saving_a_revision(state: str, live: bool, after: str) -> None:
    assert rules.check_write(at(0, state=state, live=live), EDITOR) == (after, 0)


@pytest.mark.parametrize(("state", "status", "words"), [
    ("in_review", 409, "不能修改"), ("withdrawn", 409, "撤稿"),
])
def test_saving_is_refused(state: str, status: int, words: str) -> None:
    error = refused(rules.check_write, at(1, state=state), EDITOR)
    assert error.status == status and words in error.message


def test_only_editors_write_and_submit() -> None:
    reviewer = Actor(R1, editor=False, levels=frozenset({1}))
    assert refused(rules.check_write, at(0, state="draft"), reviewer).status == 403
    assert refused(rules.check_submit, at(0, state="draft"), reviewer, revision_id=7).status == 403


def test_a_departed_member_does_nothing() -> None:
    gone = Actor(R1, editor=True, active=False, levels=frozenset({1}))
    assert refused(rules.check_write, at(0, state="draft"), gone).status == 403
    assert refused(rules.check_approve, at(1), gone, level=1, revision_id=7).status == 403


@pytest.mark.parametrize(("situation", "revision", "status", "words"), [
    (at(1), 7, 409, "不能送审"),  # already in review
    (at(0, state="approved"), 7, 409, "不能送审"),
    (at(0, state="draft"), 6, 409, "更新的版本"),  # not the text the editor looked at
    (at(0, state="draft", level_names=()), 7, 409, "审核级别"),
])
def test_submit_refusals(situation: Situation, revision: int, status: int, words: str) -> None:
    error = refused(rules.check_submit, situation, EDITOR, revision_id=revision)
    assert error.status == status and words in error.message


def test_submit_refuses_a_correction_without_its_notice() -> None:
    error = refused(rules.check_submit, at(0, state="draft", live=True), EDITOR, revision_id=7,
                    correction_problem="更正已上线的稿件，须写明更正说明")
    assert error.status == 400 and "更正说明" in error.message


# -- who approves ----------------------------------------------------------------------


def test_nobody_approves_their_own_text_at_any_level() -> None:
    # The author also sits on every level: still no.
    everywhere = Actor(AUTHOR, editor=True, levels=frozenset({1, 2, 3}))
    for level in (1, 2):
        error = refused(rules.check_approve, at(level), everywhere, level=level, revision_id=7)
        assert error.status == 403 and "自己" in error.message
    error = refused(sign, at(3), everywhere)
    assert error.status == 403 and "自己" in error.message


def test_a_reviewer_who_edited_an_earlier_revision_cant_approve_a_later_one() -> None:
    # R2 edited revision 1; the editor then rewrote it: R2 wrote part of this edition.
    touched = at(2, edition_authors=frozenset({AUTHOR, R2}))
    assert refused(rules.check_approve, touched, REVIEWER[2], level=2, revision_id=7).status == 403


def test_one_person_approves_one_level_per_round() -> None:
    both = Actor(R1, levels=frozenset({1, 2}))
    assert rules.check_approve(at(1), both, level=1, revision_id=7) == ("in_review", 2)
    error = refused(rules.check_approve, at(2, round_approvers=frozenset({R1})), both,
                    level=2, revision_id=7)
    assert error.status == 403 and "本轮" in error.message


def test_a_skipped_level_is_refused() -> None:
    final_reviewer = Actor(R3, levels=frozenset({3}))
    error = refused(rules.check_approve, at(1), Actor(R2, levels=frozenset({2})), level=2,
                    revision_id=7)
    assert error.status == 403 and "越级" in error.message and "初审" in error.message
    error = refused(sign, at(1), final_reviewer)
    assert error.status == 403 and "越级" in error.message


def test_a_level_already_passed_is_refused() -> None:
    error = refused(rules.check_approve, at(2), REVIEWER[1], level=1, revision_id=7)
    assert error.status == 409 and "等待复审" in error.message


def test_only_the_levels_members_act_there() -> None:
    error = refused(rules.check_approve, at(1), REVIEWER[2], level=1, revision_id=7)
    assert error.status == 403 and "初审" in error.message
    assert refused(rules.check_return, at(1), EDITOR, level=1, revision_id=7,
                   comment="x").status == 403
    assert refused(rules.check_edit, at(1), EDITOR, level=1, base_revision_id=7).status == 403


def test_a_changed_text_is_not_approved_unseen() -> None:
    error = refused(rules.check_approve, at(1), REVIEWER[1], level=1, revision_id=6)
    assert error.status == 409 and "最新版本" in error.message


def test_an_unknown_level_and_an_article_not_in_review() -> None:
    assert refused(rules.check_approve, at(1), REVIEWER[1], level=4,
                   revision_id=7).status == 400
    error = refused(rules.check_approve, at(0, state="draft"), REVIEWER[1], level=1,
                    revision_id=7)
    assert error.status == 409 and "不在审核中" in error.message


def test_the_last_level_signs_and_only_it() -> None:
    error = refused(rules.check_approve, at(3), REVIEWER[3], level=3, revision_id=7)
    assert error.status == 400 and "保密审查" in error.message
    error = refused(sign, at(2), Actor(R2, levels=frozenset({2})), level=2)
    assert error.status == 400 and "终审签发" in error.message


def test_signing_needs_the_secrecy_confirmation() -> None:
    error = refused(sign, at(3), REVIEWER[3], secrecy_confirmed=False)
    assert error.status == 400 and "保密审查" in error.message


def test_a_single_level_signs_at_level_one() -> None:
    one = at(1, level_names=("审核签发",))
    actor = Actor(R1, levels=frozenset({1}))
    assert sign(one, actor, level=1) == ("approved", 0)


# -- dates -----------------------------------------------------------------------------


def test_backdating_needs_a_reason() -> None:
    earlier = TODAY - dt.timedelta(days=5)
    error = refused(sign, at(3), REVIEWER[3], date=earlier)
    assert error.status == 400 and "倒填" in error.message
    assert refused(sign, at(3), REVIEWER[3], date=earlier, backdate_reason="  ").status == 400
    assert sign(at(3), REVIEWER[3], date=earlier,
                backdate_reason="会议于3月5日召开，按会议日期发布") == ("approved", 0)


def test_a_correction_keeps_its_date_without_a_reason() -> None:
    published_on = TODAY - dt.timedelta(days=30)
    live = at(3, live=True)
    assert sign(live, REVIEWER[3], date=published_on, live_date=published_on) == ("approved", 0)
    # ... but moving it to another past date is backdating again.
    assert refused(sign, live, REVIEWER[3], date=published_on - dt.timedelta(days=1),
                   live_date=published_on).status == 400


def test_article_date() -> None:
    assert rules.article_date({"date": "2027-03-01"}) == dt.date(2027, 3, 1)
    assert rules.article_date({"date": dt.date(2027, 3, 1)}) == dt.date(2027, 3, 1)
    for bad in (None, "2027-02-30", "3月1日", dt.datetime(2027, 3, 1, 8), 20270301):
        assert refused(rules.article_date, {"date": bad}).status == 400


# -- publishing ------------------------------------------------------------------------


def publish(**changes: object) -> str:
    kwargs: dict[str, object] = {"state": "approved", "final_approved": True, "number": 3,
                                 "published_number": None, "is_current": True,
                                 "date": TODAY, "today": TODAY, **changes}
    return rules.check_publish(**kwargs)  # type: ignore[arg-type]


def test_publishing_a_signed_revision() -> None:
    assert publish() == "published"
    assert publish(state="scheduled", date=TODAY - dt.timedelta(days=1)) == "published"
    # The article moved on to a new draft meanwhile: the signed text goes live, the
    # draft stays a draft.
    assert publish(state="draft", is_current=False) == "draft"


def test_publishing_unapproved_text_is_refused() -> None:
    error = refused(publish, final_approved=False)
    assert error.status == 409 and "终审签发" in error.message


@pytest.mark.parametrize(("changes", "words"), [
    ({"date": TODAY + dt.timedelta(days=1), "state": "scheduled"}, "还没有到日期"),
    ({"number": 2, "published_number": 4}, "更新的版本"),
    ({"state": "withdrawn"}, "撤稿"),
])
def test_publishing_refusals(changes: dict[str, object], words: str) -> None:
    assert words in refused(publish, **changes).message


# -- withdrawal ------------------------------------------------------------------------


def test_withdrawal() -> None:
    live = at(0, state="published", live=True)
    assert rules.check_withdraw(live, REVIEWER[3], reason="数据有误") == ("withdrawn", 0)
    # A live article with a correction under review can be withdrawn too.
    assert rules.check_withdraw(at(1, live=True), REVIEWER[3], reason="x") == ("withdrawn", 0)
    assert rules.check_withdraw(at(0, state="scheduled"), REVIEWER[3],
                                reason="x") == ("withdrawn", 0)


@pytest.mark.parametrize(("situation", "actor", "reason", "status"), [
    (at(0, state="published", live=True), REVIEWER[1], "x", 403),  # not the last level
    (at(0, state="published", live=True), EDITOR, "x", 403),
    (at(0, state="published", live=True), REVIEWER[3], " ", 400),  # no reason
    (at(1), REVIEWER[3], "x", 409),  # never signed, never live
    (at(0, state="withdrawn", live=False), REVIEWER[3], "x", 409),
])
def test_withdrawal_refusals(situation: Situation, actor: Actor, reason: str,
                             status: int) -> None:
    assert refused(rules.check_withdraw, situation, actor, reason=reason).status == status


def test_restore_needs_a_published_version_of_a_live_article() -> None:
    live = at(0, state="published", live=True)
    assert rules.check_restore(live, EDITOR, was_published=True) == ("draft", 0)
    assert refused(rules.check_restore, live, EDITOR, was_published=False).status == 400
    assert refused(rules.check_restore, at(0, state="draft"), EDITOR,
                   was_published=True).status == 409


def test_status_label() -> None:
    assert rules.status_label("published", True) == "已上线"
    assert rules.status_label("in_review", True) == "已上线；更正稿审核中"
    assert rules.status_label("in_review", False) == "审核中"


# -- corrections -----------------------------------------------------------------------


def test_correction_notice_newest_first() -> None:
    body = "正文第一段。\n\n第二段。\n"
    once = rules.add_correction_notice(body, dt.date(2027, 3, 2), "第二段“80户”应为“78户”")
    assert once.startswith('!!! note "更正说明"\n\n    2027年3月2日更正：第二段')
    assert once.endswith(body)
    twice = rules.add_correction_notice(once, dt.date(2027, 4, 1), "补充 \n 联系电话")
    assert rules.correction_entries(twice) == [
        "2027年4月1日更正：补充 联系电话", "2027年3月2日更正：第二段“80户”应为“78户”"]
    assert twice.endswith(body) and twice.count("更正说明") == 1
    assert refused(rules.add_correction_notice, body, TODAY, "  ").status == 400


def test_a_correction_must_add_a_notice() -> None:
    fm = {"title": "标题", "date": "2027-03-01"}
    live = (fm, "原文。")
    assert rules.correction_problem(None, (fm, "x")) is None
    assert "相同" in (rules.correction_problem(live, live) or "")
    assert "更正说明" in (rules.correction_problem(live, (fm, "改过的原文。")) or "")
    corrected = rules.add_correction_notice("改过的原文。", TODAY, "改了一处")
    assert rules.correction_problem(live, (fm, corrected)) is None
    # A second correction can't ride on the first one's notice.
    assert rules.correction_problem((fm, corrected), (fm, corrected + "\n又改")) is not None
    # A title fixed is a correction too.
    assert rules.correction_problem(live, ({**fm, "title": "新标题"}, "原文。")) is not None


def test_a_restored_body_keeps_the_live_notices() -> None:
    first = "第一版正文。"
    live = rules.add_correction_notice("第二版正文。", dt.date(2027, 3, 2), "改写第一段")
    restored = rules.restored_body(first, live, dt.date(2027, 3, 9), "恢复为第一版")
    assert rules.correction_entries(restored) == ["2027年3月9日更正：恢复为第一版",
                                                  "2027年3月2日更正：改写第一段"]
    assert restored.rstrip().endswith("第一版正文。") and "第二版正文" not in restored


# -- text, paths, diffs ----------------------------------------------------------------


def test_article_path() -> None:
    assert rules.article_path("column", "x-y", dt.date(2027, 3, 1)) == "column/2027-03/x-y.md"
    assert rules.article_path("news", "x-y", dt.date(2027, 3, 1)) == "news/x-y.md"
    assert refused(rules.article_path, "blog", "x", TODAY).status == 400


def test_as_markdown_is_contract_one() -> None:
    fm = {"id": "x-y", "summary": "摘要：含冒号", "title": "标题 “引号” #1", "date": "2027-03-01",
          "tags": ["精准扶贫", "两不愁"], "category": "cases", "credit": 0.5}
    text = rules.as_markdown(fm, "\n正文。\n\n")
    head, rest = text.split("---\n", 2)[1:]
    lines = head.splitlines()
    assert lines[0].startswith("title: ") and lines[1] == "date: 2027-03-01"
    assert "tags: [精准扶贫, 两不愁]" in lines and lines[-1] == "id: x-y"
    parsed = FrontMatter(**yaml.safe_load(head))
    assert parsed.date == dt.date(2027, 3, 1) and parsed.title == "标题 “引号” #1"
    assert parsed.summary == "摘要：含冒号" and parsed.tags == ["精准扶贫", "两不愁"]
    assert rest == "\n正文。\n"


def test_diff_lines() -> None:
    old = "\n".join(f"第{n}行" for n in range(1, 21))
    new = old.replace("第10行", "第十行") + "\n第21行"
    rows = rules.diff_lines(old, new, context=2)
    kinds = [row.kind for row in rows]
    assert kinds == ["skip", "same", "same", "del", "add", "same", "same", "skip", "same",
                     "same", "add"]
    assert rows[0].text == "（7行未改动）"
    deleted = rows[3]
    assert (deleted.old, deleted.new, deleted.text) == (10, None, "第10行")
    assert (rows[4].old, rows[4].new, rows[4].text) == (None, 10, "第十行")
    assert (rows[-1].new, rows[-1].text) == (21, "第21行")
    assert rules.diff_lines(old, old) == []


def test_revision_diff_covers_the_front_matter() -> None:
    fm = {"title": "旧标题", "date": "2027-03-01"}
    rows = rules.revision_diff((fm, "正文"), ({**fm, "title": "新标题"}, "正文"))
    changed = {(row.kind, row.text) for row in rows if row.kind in ("add", "del")}
    assert changed == {("del", "title: 旧标题"), ("add", "title: 新标题")}


# -- configuration ---------------------------------------------------------------------


def test_level_config() -> None:
    clean = rules.check_level_config([(" 初审 ", [1, 2, 1]), ("终审签发", [2])],
                                     active_members={1, 2}, waiting_levels={1, 2})
    assert clean == [("初审", (1, 2)), ("终审签发", (2,))]  # one person, two levels: fine


@pytest.mark.parametrize(("levels", "waiting", "words"), [
    ([], set(), "1至6级"),
    ([(f"第{n}级", [1]) for n in range(7)], set(), "1至6级"),
    ([("初审", [1]), ("初审", [2])], set(), "重复"),
    ([("", [1])], set(), "名称"),
    ([("初审", [])], set(), "至少要有一名"),
    ([("初审", [3])], set(), "已停用"),
    ([("初审", [1]), ("终审", [2])], {3}, "第3级"),
])
def test_level_config_refusals(levels: list[tuple[str, list[int]]], waiting: set[int],
                               words: str) -> None:
    error = refused(rules.check_level_config, levels, active_members={1, 2},
                    waiting_levels=waiting)
    assert words in error.message


def test_words_and_thresholds_config() -> None:
    assert rules.check_words([(" 脱贫攻坚战 ", " "), ("", "x"), ("脱贫攻坚战", "y")]) == [
        ("脱贫攻坚战", None)]
    assert refused(rules.check_words, [("长" * 51, None)]).status == 400
    assert rules.check_stale_days(14, 183) == {"news": 14, "policy": 183}
    for bad in ((0, 183), (14, True), (14, 4000)):
        assert refused(rules.check_stale_days, *bad).status == 400


# -- freshness -------------------------------------------------------------------------


def fresh(today: dt.date, **last: dt.date | None) -> list[str]:
    dates: dict[str, dt.date | None] = {"column": today.replace(day=1), "news": today,
                                        "policy": today, **last}
    return rules.freshness_warnings(dates, today, {"news": 14, "policy": 183})


def test_nothing_to_say_when_all_is_fresh() -> None:
    assert fresh(dt.date(2027, 3, 28)) == []
    # Mid-month without a column article yet: not yet a warning.
    assert fresh(dt.date(2027, 3, 10), column=dt.date(2027, 2, 20)) == []


def test_the_column_before_the_month_ends() -> None:
    warnings = fresh(dt.date(2027, 3, 29), column=dt.date(2027, 2, 20))
    assert warnings == ["脱贫攻坚专栏本月（3月）还没有发布文章，距月底还有3天（含今天）"]
    # A column article scheduled for later this month silences it.
    assert rules.freshness_warnings(
        {"column": dt.date(2027, 2, 20), "news": dt.date(2027, 3, 29),
         "policy": dt.date(2027, 3, 1)}, dt.date(2027, 3, 29),
        scheduled={"column": dt.date(2027, 3, 31)}) == []


def test_a_missed_month_is_said() -> None:
    warnings = fresh(dt.date(2027, 3, 2), column=dt.date(2027, 1, 15))
    assert warnings == ["脱贫攻坚专栏2月没有发布文章（最近一次是2027年01月15日）"]


def test_news_and_policy_thresholds() -> None:
    today = dt.date(2027, 3, 20)
    assert fresh(today, news=today - dt.timedelta(days=10)) == []
    assert fresh(today, news=today - dt.timedelta(days=11)) == [
        "新闻动态已11天未更新，再过3天将超过14天的更新时限"]
    assert fresh(today, news=today - dt.timedelta(days=15)) == [
        "新闻动态已15天未更新，超过了14天的更新时限"]
    assert fresh(today, policy=today - dt.timedelta(days=184)) == [
        "政策解读已184天未更新，超过了183天的更新时限"]
    assert fresh(today, news=None) == ["新闻动态还没有发布过文章"]
    shorter = rules.freshness_warnings({"column": today, "news": today - dt.timedelta(days=8),
                                        "policy": today}, today, {"news": 7})
    assert shorter == ["新闻动态已8天未更新，超过了7天的更新时限"]


# -- 错敏词 ----------------------------------------------------------------------------


def test_every_hit_with_line_and_column() -> None:
    body = "第一行没有问题。\n第二行写了坏词，\n  还有坏词和坏词。"
    hits = find_hits({"body": body}, [Word("坏词", "好词")])
    assert [(h.line, h.column) for h in hits] == [(2, 6), (3, 5), (3, 8)]
    assert all(body[h.start:h.end] == "坏词" for h in hits)
    assert hits[0].describe() == "正文第2行第6列“坏词”（建议改为“好词”）"


def test_disguised_words_are_found() -> None:
    body = "写成坏 词、坏**词**、坏\u200b词、ＡＢＣ和abc。"
    hits = find_hits({"body": body}, [Word("坏词"), Word("abc")])
    assert [body[h.start:h.end] for h in hits] == ["坏 词", "坏**词", "坏\u200b词", "ＡＢＣ", "abc"]


def test_overlapping_and_nested_words() -> None:
    hits = find_hits({"title": "哈哈哈"}, [Word("哈哈")])
    assert [(h.start, h.end) for h in hits] == [(0, 2), (1, 3)]
    nested = find_hits({"title": "脱贫攻坚战"}, [Word("攻坚"), Word("脱贫攻坚战")])
    assert [h.word for h in nested] == ["脱贫攻坚战", "攻坚"]


def test_title_summary_and_body_are_checked() -> None:
    texts = article_texts({"title": "坏词标题", "summary": "摘要坏词", "tags": ["坏词"]}, "坏词")
    hits = find_hits(texts, [Word("坏词"), Word(" ")])  # a blank word matches nothing
    assert [(h.field, h.column) for h in hits] == [("title", 1), ("summary", 3), ("body", 1)]
    assert find_hits(texts, [Word("无关")]) == []


def test_the_refusal_lists_the_hits() -> None:
    hits = [Hit("body", "坏词", n, 1, 0, 2) for n in range(1, 26)]
    error = SensitiveWordsFound(hits)
    assert isinstance(error, Refused) and error.status == 400 and error.hits == hits
    assert "共25处" in error.message and "正文第20行第1列“坏词”" in error.message
    assert "正文第21行" not in error.message  # the rest are in error.hits, for the page
    assert "共1处" in refusal_message(hits[:1])


def test_a_text_full_of_hits_is_matched_in_linear_time() -> None:
    body = "这一行有坏词。\n" * 50_000
    started = time.perf_counter()
    hits = find_hits({"body": body}, [Word("坏词")])
    assert len(hits) == 50_000 and (hits[-1].line, hits[-1].column) == (50_000, 5)
    assert time.perf_counter() - started < 3  # counting lines from the start for each hit took ~6 s


def test_a_correction_note_is_text_not_markup() -> None:
    body = rules.add_correction_notice("正文", TODAY, '<script>alert(1)</script> & "引"')
    assert rules.correction_entries(body) == [
        '2027年3月10日更正：&lt;script&gt;alert(1)&lt;/script&gt; &amp; "引"']


# -- recall (撤回送审) ---------------------------------------------------------------------


def test_the_submitter_recalls_before_any_decision() -> None:
    sent = at(1, submitter=AUTHOR)
    assert rules.check_recall(sent, EDITOR) == ("draft", 0)
    # A correction of a live article: the live text stays, the correction is a draft.
    assert rules.check_recall(at(1, submitter=AUTHOR, live=True), EDITOR) == ("draft", 0)


@pytest.mark.parametrize(("situation", "actor", "status", "words"), [
    (at(2, submitter=AUTHOR, round_decided=True), EDITOR, 409, "不能再撤回"),
    (at(1, submitter=AUTHOR, round_decided=True), EDITOR, 409, "不能再撤回"),  # after an edit
    (at(1, submitter=AUTHOR), Actor(OTHER, editor=True), 403, "送审人本人"),
    (at(1, submitter=AUTHOR), Actor(AUTHOR, editor=True, active=False), 403, "停用"),
    (at(1, submitter=R1), Actor(R1, levels=frozenset({1})), 403, "送审人本人"),  # not an editor
    (at(0, state="returned", submitter=AUTHOR), EDITOR, 409, "不在审核中"),
    (at(0, state="approved", submitter=AUTHOR), EDITOR, 409, "不在审核中"),
])
def test_recall_refusals(situation: Situation, actor: Actor, status: int, words: str) -> None:
    error = refused(rules.check_recall, situation, actor)
    assert error.status == status and words in error.message


# -- what a page offers --------------------------------------------------------------------


def names(situation: Situation, actor: Actor) -> set[tuple[str, int]]:
    return {(action.name, action.level) for action in rules.available_actions(situation, actor)}


def test_a_reviewer_is_offered_their_level_only() -> None:
    assert names(at(1), REVIEWER[1]) == {("approve", 1), ("return", 1), ("edit", 1)}
    assert names(at(1), REVIEWER[2]) == set()  # can't act at level 1
    assert names(at(2), REVIEWER[1]) == set()  # level 1 is passed
    assert names(at(3), REVIEWER[3]) == {("sign", 3), ("return", 3), ("edit", 3)}
    assert names(at(3), Actor(OTHER)) == set()


def test_nobody_is_offered_approval_of_their_own_text() -> None:
    both = Actor(AUTHOR, editor=True, levels=frozenset({1}))
    offered = names(at(1, submitter=AUTHOR), both)
    assert ("approve", 1) not in offered
    assert ("recall", 0) in offered
    approved_once = at(2, round_approvers=frozenset({R1}))
    assert ("approve", 2) not in names(approved_once, Actor(R1, levels=frozenset({1, 2})))


def test_the_editor_is_offered_what_the_state_allows() -> None:
    assert names(at(0, state="draft"), EDITOR) == {("write", 0), ("submit", 0)}
    assert names(at(1, submitter=AUTHOR), EDITOR) == {("recall", 0)}
    assert names(at(1, submitter=AUTHOR, round_decided=True), EDITOR) == set()
    assert names(at(0, state="published", live=True), EDITOR) == {("write", 0), ("restore", 0)}
    assert names(at(0, state="withdrawn"), EDITOR) == set()
    assert names(at(0, state="draft", level_names=()), EDITOR) == {("write", 0)}


def test_withdrawal_is_offered_to_the_last_level_once_signed() -> None:
    assert ("withdraw", 0) in names(at(0, state="published", live=True), REVIEWER[3])
    assert ("withdraw", 0) in names(at(0, state="scheduled"), REVIEWER[3])
    assert ("withdraw", 0) not in names(at(0, state="published", live=True), REVIEWER[2])
    assert ("withdraw", 0) not in names(at(0, state="draft"), REVIEWER[3])


def accepted(situation: Situation, actor: Actor, name: str) -> bool:
    """Whether the check behind ``name`` accepts it at the article's level, with the
    form's inputs filled in as a careful reviewer would (today's date, a comment)."""
    level, revision = situation.level, situation.current_revision_id or 0
    checks = {
        "write": lambda: rules.check_write(situation, actor),
        "submit": lambda: rules.check_submit(situation, actor, revision_id=revision),
        "recall": lambda: rules.check_recall(situation, actor),
        "approve": lambda: rules.check_approve(situation, actor, level=level,
                                               revision_id=revision),
        "sign": lambda: sign(situation, actor, level=level),
        "return": lambda: rules.check_return(situation, actor, level=level,
                                             revision_id=revision, comment="第二段请核实"),
        "edit": lambda: rules.check_edit(situation, actor, level=level,
                                         base_revision_id=revision),
        "restore": lambda: rules.check_restore(situation, actor, was_published=True),
        "withdraw": lambda: rules.check_withdraw(situation, actor, reason="内容有误"),
    }
    try:
        checks[name]()
    except Refused:
        return False
    return True


ALL_ACTIONS = ("write", "submit", "recall", "approve", "sign", "return", "edit", "restore",
               "withdraw")


def test_what_is_offered_is_exactly_what_the_checks_accept() -> None:
    situations = [at(level, **extra) for level in (1, 2, 3) for extra in (
        {}, {"submitter": AUTHOR}, {"round_decided": True, "submitter": AUTHOR},
        {"round_approvers": frozenset({R1})}, {"edition_authors": frozenset({R2})})]
    situations += [at(0, state=state, live=live) for state in sorted(
        rules.EDITABLE | rules.SIGNED | {"published", "withdrawn"}) for live in (False, True)]
    actors = [EDITOR, *REVIEWER.values(), Actor(R1, levels=frozenset({1, 2, 3})),
              Actor(AUTHOR, editor=True, levels=frozenset({1, 2, 3})), Actor(OTHER),
              Actor(R3, active=False, levels=frozenset({3}))]
    for situation in situations:
        for actor in actors:
            offered = {action.name for action in rules.available_actions(situation, actor)}
            expected = {name for name in ALL_ACTIONS if accepted(situation, actor, name)}
            assert offered == expected, (situation, actor)
