"""Questions against the county plan (the plan-fidelity rules of contract 4).

A question on the plan cites the clause it tests (``source: 《方案》二(二)``),
and the clause must exist. What its key asserts and what its explanation says
must agree with the plan's figures, checked by the same ``site_builder.plan_facts``
the site build runs on articles.
"""

from __future__ import annotations

from typing import Any

from learning_app.quiz.types import get_type
from site_builder.plan_facts import PlanFacts, cited_clauses

PLAN_CITATION = "a citation of the plan's clause, e.g. 《方案》二(二)"


def mentions_plan(question: dict[str, Any]) -> bool:
    texts = [question.get("stem"), question.get("explanation"),
             *(question.get("options") or {}).values()]
    return any(isinstance(text, str) and "方案" in text for text in texts)


def plan_problems(question: dict[str, Any], plan: PlanFacts, *, about_plan: bool
                  ) -> list[tuple[str, str]]:
    """(field, what was expected) for one valid question."""
    problems: list[tuple[str, str]] = []
    source = question.get("source")
    cited = cited_clauses(source) if isinstance(source, str) else None
    if cited is None:
        if about_plan or mentions_plan(question):
            why = "every question of this bank" if about_plan else "a question on the plan"
            problems.append(("source", f"required for {why}: {PLAN_CITATION}"))
    elif not cited:
        problems.append(("source", PLAN_CITATION))
    else:
        problems += [("source", f"{PLAN_CITATION} (the plan has no clause {ref})")
                     for ref in cited if not plan.has_clause(ref)]
    for statement in get_type(question["type"]).keyed_statements(question):
        problems += [("answer", conflict.message()) for conflict in plan.check(statement)]
    explanation = question.get("explanation")
    if isinstance(explanation, str):
        problems += [("explanation", conflict.message())
                     for conflict in plan.check(explanation)]
    return problems
