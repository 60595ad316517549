"""The county plan: published as written, its figures checked in articles and questions."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from learning_app.quiz.loader import QuizError, load_quizzes
from site_builder import plan_facts
from site_builder.errors import ContentError
from tests.conftest import ROOT, TODAY, article
from tests.sitebuild import mkdocs_build

CONTENT = ROOT / "content"
SHARED_PLAN = ROOT.parent / "shared" / "county-plan"


@pytest.fixture(scope="module")
def plan() -> plan_facts.PlanFacts:
    return plan_facts.load(CONTENT)


# -- the published text ---------------------------------------------------------------

def original_clauses() -> dict[str, str]:
    """The county's own text (../shared/county-plan), split into its clauses."""
    files = sorted(SHARED_PLAN.glob("*.txt"))
    if not files:  # CI lays shared/ beside the clone; a bare checkout may not have it
        pytest.skip(f"the county's plan is not at {SHARED_PLAN}")
    lines = files[0].read_text(encoding="utf-8").splitlines()[1:]  # line 1 is a teaser
    text = "".join(lines).replace("**", "青川")  # the portal's name for the masked county
    clauses: dict[str, str] = {}
    part = 0
    for match in re.finditer(r"([一二三四五六七八九十])、|（([一二三四五六七八九十])）", text):
        if match.group(1):
            part = plan_facts.NUMERALS.index(match.group(1)) + 1
        else:
            sub = plan_facts.NUMERALS.index(match.group(2)) + 1
            end = text.find("）", text.find("责任单位", match.end()))
            clauses[plan_facts.ref_of(part, sub)] = text[match.start():end + 1]
    return clauses


def test_the_site_publishes_every_clause_of_the_plan_word_for_word(plan) -> None:
    original = original_clauses()
    assert len(original) == 15  # 3 + 3 + 3 + 6 clauses in four parts
    for ref, text in original.items():
        assert plan.clauses[ref].text == plan_facts.plain(text), ref


def test_every_clause_has_the_anchor_explainers_link_to(plan) -> None:
    page = (CONTENT / plan_facts.PLAN_TEXT).read_text(encoding="utf-8")
    for ref in plan.clauses:
        anchor = plan_facts.anchor_of(ref)
        assert f"#{anchor}" in page, ref
        assert plan_facts.normalize_ref(ref) == ref


CITATION = re.compile(r"《方案》\s*([一二三四五六七八九十](?:[（(][一二三四五六七八九十][）)])?)")


def test_every_citation_in_the_content_names_a_clause_that_exists(plan) -> None:
    page = (CONTENT / plan_facts.PLAN_TEXT).read_text(encoding="utf-8")
    anchors = set(re.findall(r"\{:? ?#(c\d+(?:-\d+)?) ?\}", page))
    assert len(anchors) == 20  # the preamble, four parts, fifteen clauses
    cited = 0
    for path in CONTENT.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"plan-text\.md#(c\d+(?:-\d+)?)", text):
            cited += 1
            assert match.group(1) in anchors, (path.relative_to(CONTENT), match[0])
        for match in CITATION.finditer(text):
            cited += 1
            assert plan.has_clause(match.group(1)), (path.relative_to(CONTENT), match[0])
    assert cited >= 40  # the explainers cite the plan throughout


# -- the checker ------------------------------------------------------------------------

def test_the_plan_itself_and_each_facts_own_examples_pass_the_self_test(plan) -> None:
    assert len(plan.facts) >= 30
    assert plan_facts.self_test(plan) == []
    assert {f.clause for f in plan.facts} >= {"一(一)", "一(二)", "一(三)", "二(一)", "二(二)",
                                               "三(一)", "三(二)", "三(三)", "四(二)", "四(三)",
                                               "四(五)", "四(六)"}


@pytest.mark.parametrize("text, fact, line", [
    ("全县统一把每月5日定为固定主题党日。", "fixed-party-day", 10),
    ("| 对象 | 要求 |\n| --- | --- |\n| 县级领导 | 每季度到联系村不少于1次 |",
     "county-leader-days", 12),
    ("## 固定党日\n\n时间：每月一次，全县统一为每月5日。", "fixed-party-day", 12),
    ("11月5日的主题党日，支部学习了新政策。", "party-day-dates", 10),
    ("督查巡察机制很重要。\n\n督查巡察，牵头单位：县委组织部。", "supervision-lead", 12),
])
def test_a_contradiction_is_found_on_its_line(plan, text: str, fact: str, line: int) -> None:
    found = plan.check(text, first_line=10, near=dt.date(2026, 11, 26))
    assert [(c.fact.id, c.line) for c in found] == [(fact, line)]
    assert found[0].message().startswith(f"与《方案》{found[0].fact.clause}不符：")
    assert found[0].fact.quote in found[0].message()


@pytest.mark.parametrize("text", [
    "全县固定党日是每月５日。",  # full-width digit
    "全县固定党日是每月5\u200b日。",  # a zero-width space inside the figure
    "全县**固定党日**是[每月5号](#x)。",  # Markdown around it
    "全县“固定党日”是每月 5 日。",
    "全县固定党日是每月&#53;日。",  # an HTML character reference
    "全县固定党日是每月5&#x200b;日。",  # an invisible one
])
def test_a_contradiction_cannot_hide_behind_spelling(plan, text: str) -> None:
    assert [c.fact.id for c in plan.check(text)] == ["fixed-party-day"]


def test_dates_of_party_days_must_be_first_fridays(plan) -> None:
    assert plan_facts.first_friday(2026, 12) == dt.date(2026, 12, 4)
    assert plan_facts.first_friday(2027, 1) == dt.date(2027, 1, 1)
    near = dt.date(2026, 11, 20)
    assert plan.check("12月4日是本月固定党日。", near=near) == []
    [conflict] = plan.check("12月5日是本月固定党日。", near=near)
    assert conflict.found == "12月5日（星期六）"
    # the year comes from the text, or else from the nearest year to the article's date
    assert plan.check("2027年1月1日固定党日。", near=near) == []
    assert plan.check("1月1日的主题党日", near=dt.date(2026, 12, 20)) == []
    assert plan.check("1月1日的主题党日", near=dt.date(2026, 2, 20)) != []


def test_sentences_read_tables_as_header_and_cell() -> None:
    text = "| 措施 | 牵头单位 |\n| --- | --- |\n| 督查巡察 | 县纪委 |\n\n下一段。第二句"
    found = list(plan_facts.sentences(text, first_line=5))
    assert [(s.line, s.text) for s in found] == [
        (7, "措施：督查巡察，牵头单位：县纪委"), (9, "下一段"), (9, "第二句")]


def test_a_fact_whose_quote_is_not_in_its_clause_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "policy", content / "policy")
    facts = content / plan_facts.PLAN_FACTS
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("quote: 县级领导干部每月下乡时间不少于4天",
                                  "quote: 县级领导干部每月下乡时间不少于2天"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        plan_facts.load(content)
    assert "county-leader-days: quote: words found verbatim in clause 一(一)" in str(caught.value)


def test_a_fact_that_misses_its_own_wrong_example_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "policy", content / "policy")
    facts = content / plan_facts.PLAN_FACTS
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("accept: [月8天]", "accept: [月8天, 月1次, 月4天]"),
                     encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        plan_facts.load(content)
    assert "township-leader-days: wrong: the check does not catch" in str(caught.value)


def test_the_command_line_reports_file_and_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "draft.md"
    path.write_text(article(date="2026-11-03") + "\n全县固定党日是每月5日。\n", encoding="utf-8")
    assert plan_facts.main([str(path), "--content", str(CONTENT)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:12: plan: 与《方案》二(二)不符" in out


# -- the build and the quiz loader run the same check ---------------------------------------

def test_a_planted_contradiction_in_an_article_fails_the_build(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CONTENT, project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    target = project / "content/policy/duties.md"
    lines = target.read_text(encoding="utf-8").splitlines()
    lines.append("")
    lines.append("全县固定党日是每月5日，党员按时参加。")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode != 0
    assert f"policy/duties.md:{len(lines)}: plan: 与《方案》二(二)不符" in result.stderr
    assert not (project / "site" / "learning-manifest.json").exists()


def test_the_facts_file_is_not_published(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CONTENT, project / "content")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    result = mkdocs_build(project, today=TODAY)
    assert result.returncode == 0, result.stderr
    assert not list((project / "site").rglob("plan-facts.yaml"))
    page = (project / "site/policy/plan-text/index.html").read_text(encoding="utf-8")
    assert 'id="c4-3"' in page and "每半年组织一次测试" in page


def copy_quizzes(tmp_path: Path) -> Path:
    root = tmp_path / "quizzes"
    shutil.copytree(ROOT / "quizzes", root)
    return root


def test_the_real_banks_agree_with_the_plan_and_cite_it(plan) -> None:
    quizzes = load_quizzes(ROOT / "quizzes", plan)
    on_plan = quizzes.banks["county-plan"].questions
    assert len(on_plan) >= 40
    for question in on_plan:
        cited = plan_facts.cited_clauses(question["source"])
        assert cited and all(plan.has_clause(ref) for ref in cited), question["id"]


@pytest.mark.parametrize("old, new, clause", [
    ("县财政局是责任单位之一，不是牵头单位。", "经费投入机制的牵头单位是县财政局。", "四(二)"),
    ("。是每月第一个星期五，不是每月5日。", "。全县固定党日是每月5日。", "二(二)"),
])
def test_a_planted_contradiction_in_an_explanation_is_refused(tmp_path, plan, old, new,
                                                              clause) -> None:
    root = copy_quizzes(tmp_path)
    bank = root / "banks/county-plan.yaml"
    text = bank.read_text(encoding="utf-8")
    assert text.count(old) == 1
    bank.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(QuizError) as caught:
        load_quizzes(root, plan)
    [problem] = caught.value.problems
    assert (problem.path, problem.field) == ("banks/county-plan.yaml", "explanation")
    assert problem.line == text[: text.index(old)].count("\n") + 1
    assert f"与《方案》{clause}不符" in problem.message


def problems_with_extra_bank(tmp_path: Path, plan, bank: str) -> list:
    """The loader's problems once ``bank`` (YAML) is added beside the real banks."""
    root = copy_quizzes(tmp_path)
    (root / "banks/extra.yaml").write_text(bank, encoding="utf-8")
    with pytest.raises(QuizError) as caught:
        load_quizzes(root, plan)
    return caught.value.problems


def test_a_question_keyed_against_the_plan_is_refused(tmp_path, plan) -> None:
    problems = problems_with_extra_bank(
        tmp_path, plan, "bank: extra\ntitle: 追加\nquestions:\n"
        "  - id: ex-001\n    type: single\n    stem: 全县固定党日定在每月哪一天？\n"
        "    options: {A: 5日, B: 第一个星期五}\n    answer: A\n    source: 《方案》二(二)\n"
        "  - id: ex-002\n    type: blank\n    stem: 县级领导干部每月下乡时间不少于（　）天。\n"
        "    answer: ['2']\n    source: 《方案》一(一)\n"
        "  - id: ex-003\n    type: judge\n    stem: 固定党日是每月5日。\n    answer: false\n"
        "    source: 《方案》二(二)\n")
    found = {(p.item, p.field, p.line) for p in problems}
    assert found == {("ex-001", "answer", 8), ("ex-002", "answer", 13)}  # a false judge is fine


def test_questions_on_the_plan_must_cite_a_clause_that_exists(tmp_path, plan) -> None:
    problems = problems_with_extra_bank(
        tmp_path, plan, "bank: extra\ntitle: 追加\nabout: plan\nquestions:\n"
        "  - id: ex-001\n    type: judge\n    stem: 四大工程包括头雁领航工程。\n    answer: true\n"
        "  - id: ex-002\n    type: judge\n    stem: 四大工程包括头雁领航工程。\n    answer: true\n"
        "    source: 《方案》五(一)\n"
        "  - id: ex-003\n    type: judge\n    stem: 四大工程包括头雁领航工程。\n    answer: true\n"
        "    source: 《方案》前言\n")
    messages = {(p.item, p.line): p.message for p in problems}
    assert messages == {
        ("ex-001", 5): "required for every question of this bank: a citation of the plan's "
                       "clause, e.g. 《方案》二(二)",
        ("ex-002", 13): "a citation of the plan's clause, e.g. 《方案》二(二) (the plan has no "
                        "clause 五(一))",
    }
