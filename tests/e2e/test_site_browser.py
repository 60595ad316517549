"""The built site in a real Chromium on a phone-sized screen."""

from __future__ import annotations

import time
from typing import Any

import pytest

ARTICLE = "/column/2026-11/liangbuchou-exit/"
NEXT_ARTICLE = "/column/2026-11/minzheng-doudi/"


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def collect_console(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    return messages


@pytest.mark.parametrize("path", ["/", "/column/", "/column/2026-11/", ARTICLE,
                                  "/column/2026-11/booklet/", "/policy/county-plan/"])
def test_pages_fit_a_390px_phone_screen(server: Any, phone: Any, path: str) -> None:
    page = phone.new_page()
    page.goto(server.url + path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} scrolls sideways: {width}px"
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.md-typeset')).fontSize)")
    assert size >= 16, "body text too small for older readers"


def test_static_only_site_tracker_stays_silent(server: Any, phone: Any) -> None:
    page = phone.new_page()
    console = collect_console(page)
    page.goto(server.url + ARTICLE)
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__djTracker") == "object"
    assert server.api_requests == []
    assert console == []


def test_signed_in_reader_reports_through_instant_navigation(server: Any, phone: Any) -> None:
    server.app.enabled = True
    phone.add_cookies([{"name": "dj_reader", "value": "1", "url": server.url}])
    page = phone.new_page()
    console = collect_console(page)
    page.goto(server.url + "/column/2026-11/")
    page.wait_for_load_state("networkidle")  # Material has fetched its sitemap
    page.click(f"a[href$='{ARTICLE}']")  # instant navigation makes hrefs absolute
    wait_for(lambda: any(b["article_id"] == "liangbuchou-exit" for b in server.app.beats))
    first = server.app.beats[0]
    assert first["_type"] == "application/json" and first["_csrf"] == "token-123"
    assert first["seq"] == 1 and len(first["view_id"]) >= 16
    # Material's instant navigation swaps the page without a reload: the
    # tracker must close the first article's span and open the next one.
    assert page.evaluate("typeof window.document$") == "object"
    page.evaluate("window.__sameDocument = true")
    page.wait_for_load_state("networkidle")
    page.click("a.dj-next")
    page.wait_for_url(server.url + NEXT_ARTICLE)
    wait_for(lambda: any(b["article_id"] == "minzheng-doudi" for b in server.app.beats))
    beacon = [b for b in server.app.beats if b.get("final") == "true"]
    assert beacon and beacon[0]["article_id"] == "liangbuchou-exit"
    assert beacon[0]["_type"] == "application/x-www-form-urlencoded"
    assert beacon[0]["_csrf"] == "token-123"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert server.api_requests.count("GET /api/reading/session") == 1
    assert console == []


def test_no_tracker_on_listing_pages(server: Any, phone: Any) -> None:
    server.app.enabled = True
    phone.add_cookies([{"name": "dj_reader", "value": "1", "url": server.url}])
    page = phone.new_page()
    page.goto(server.url + "/column/2026-11/")
    page.wait_for_timeout(300)
    assert server.api_requests == []


def test_print_hides_site_furniture(server: Any, browser: Any) -> None:
    page = browser.new_page()
    page.goto(server.url + "/column/2026-11/booklet/")
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "['.md-header', '.md-sidebar--primary', '.md-footer'].map("
        "s => getComputedStyle(document.querySelector(s)).display)")
    assert hidden == ["none", "none", "none"]
    breaks = page.evaluate(
        "[...document.querySelectorAll('.dj-booklet-title')].map("
        "h => getComputedStyle(h).breakBefore)")
    assert len(breaks) == 6 and set(breaks) == {"page"}
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    page.close()
