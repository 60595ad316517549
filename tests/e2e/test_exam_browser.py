"""A member on a phone takes a test: answers, reloads mid-way, submits, sees the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.quiz_helpers import LIVE, PRACTICE, load
from tests.e2e.conftest import running_app, sign_in


@pytest.fixture
def exam_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    with running_app(site_dir, port, tmp_path / "exam.db", member_code="E2E002",
                     member_name="王建国",
                     setup=lambda: load(tmp_path / "quizzes", LIVE, PRACTICE)) as url:
        yield url


def answer(page: Any, position: int) -> None:
    """Give some answer to question ``position`` and wait until it is saved."""
    card = page.locator(f"#q-{position}")
    kind = card.get_attribute("data-type")
    if kind == "blank":
        card.locator("input").fill("三十二")
    elif kind == "multiple":
        card.locator(".exam-option").nth(0).click()
        card.locator(".exam-option").nth(1).click()
    else:
        card.locator(".exam-option").nth(0).click()
    page.wait_for_selector(f"#q-{position} .exam-saved[data-state=saved]")


def seconds_left(page: Any) -> int:
    page.wait_for_selector("#exam-timer[data-seconds]")
    return int(page.get_attribute("#exam-timer", "data-seconds"))


def test_member_takes_a_test_on_a_phone(exam_server: str, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, exam_server, "E2E002")
    page.click("nav.menu >> text=测试")
    page.wait_for_url(exam_server + "/app/tests/")
    assert "练习" in page.inner_text("main")
    page.click("[data-testid=test-live] >> text=开始答题")
    page.wait_for_selector(".exam-q")
    assert page.locator(".exam-q").count() == 5
    box = page.locator("#q-1 .exam-option").first.bounding_box()
    assert box["height"] >= 48

    answer(page, 1)
    answer(page, 2)
    before = seconds_left(page)
    assert 0 < before <= 30 * 60

    page.reload()
    page.wait_for_selector(".exam-q")
    assert page.locator("#q-1 input:checked").count() == 1
    assert page.locator("#q-2 input:checked").count() == 1
    assert page.locator("#q-3 input:checked").count() == 0
    after = seconds_left(page)
    assert 0 < after <= before
    assert page.inner_text("#exam-progress") == "已答 2/5"

    page.click("#exam-card-toggle")
    assert page.locator("#exam-sheet-grid button.answered").count() == 2
    page.click("#exam-sheet-grid button[data-position='4']")
    answer(page, 3)
    answer(page, 4)

    page.click("#exam-submit")
    page.wait_for_selector("#exam-confirm:not([hidden])")
    assert "第 5 题" in page.inner_text("#exam-confirm-text")
    page.click("#exam-confirm-cancel")
    assert page.locator("#exam-confirm").is_hidden()
    answer(page, 5)
    page.click("#exam-submit")
    assert "全部题目都已作答" in page.inner_text("#exam-confirm-text")
    page.click("#exam-confirm-ok")

    page.wait_for_selector("[data-testid=result]")
    assert page.inner_text("[data-testid=verdict]") in ("合格", "不合格")
    assert float(page.inner_text("[data-testid=score]")) >= 0
    assert page.locator(".exam-review").count() == 5  # review: after_submit
    assert "正确答案" in page.inner_text("#exam-result")
    assert "解析" in page.inner_text("#exam-result")

    page.goto(exam_server + "/app/tests/")
    assert "已作答" in page.inner_text("[data-testid=test-live]")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert errors == []


def test_a_failed_save_warns_and_retries(exam_server: str, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, exam_server, "E2E002")
    page.goto(exam_server + "/app/tests/live/take")
    page.wait_for_selector(".exam-q")
    page.route("**/answers/**", lambda route: route.abort())
    page.locator("#q-1 .exam-option").first.click()
    page.wait_for_selector("#exam-save-error:not([hidden])")
    assert "保存失败，请检查网络" in page.inner_text("#exam-save-error")
    assert page.get_attribute("#q-1 .exam-saved", "data-state") == "error"
    page.unroute("**/answers/**")
    page.click("#exam-retry")
    page.wait_for_selector("#q-1 .exam-saved[data-state=saved]")
    assert page.locator("#exam-save-error").is_hidden()
    page.reload()
    page.wait_for_selector(".exam-q")
    assert page.locator("#q-1 input:checked").count() == 1
    assert errors == []
