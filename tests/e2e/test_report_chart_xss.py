"""An organization's name is text in the 参学统计 charts, never HTML, and the app's
pages run under their Content-Security-Policy without refusing their own code.

A township admin names their own organization (roster import); a county admin
then hovers the chart bars. Run once as served (CSP enforced: nothing may be
refused) and once with the browser ignoring the CSP, which proves the charts'
escaping holds on its own (defence in depth, not one or the other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import running_app, sign_in
from tests.e2e.test_reports_drilldown import ADMIN, add_county

IMG = '<img src=x onerror="window.__pwned=1">青川'
SCRIPT = '<script>window.__pwned=2</script>石桥'
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':'
                    + e.lineNumber);
});
"""

CHART = "echarts.getInstanceByDom(document.getElementById('chart-children'))"


def name_the_townships() -> None:
    """The county of the drill-down test, with its two townships renamed by their admins."""
    from sqlalchemy import select

    from learning_app.extensions import db
    from learning_app.models import Organization

    add_county()
    for code, name in [("QC-LQ", IMG), ("QC-SQ", SCRIPT)]:
        org = db.session.scalar(select(Organization).where(Organization.code == code))
        assert org is not None
        org.name = name
    db.session.commit()


@pytest.fixture
def hostile_server(site_dir: Path, port: int, tmp_path: Path) -> Iterator[str]:
    with running_app(site_dir, port, tmp_path / "xss.db", member_code="E2E004",
                     member_name="王学习", setup=name_the_townships) as url:
        yield url


def open_reports(browser: Any, base_url: str, *, bypass_csp: bool
                 ) -> tuple[Any, Any, dict[str, str], list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  bypass_csp=bypass_csp)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base_url, ADMIN)
    assert page.evaluate("window.__csp") == [], "我的学习 refused by its own CSP"
    response = page.goto(base_url + "/app/reports/")
    assert response is not None and response.status == 200
    page.wait_for_selector("#report-charts[data-state=drawn]")
    return context, page, response.headers, errors


# The chart's canvas holds no text: the container's text is the tooltip's.
TIP_TEXT = "document.getElementById('chart-children').textContent"
NEW_TIP = f"before => {{ const t = {TIP_TEXT}; return t.includes('参学率：') && t !== before; }}"


def show_tip(page: Any, act: Callable[[], object]) -> str:
    """Does ``act`` (a hover, a dispatchAction) and returns the tooltip's new text."""
    before = page.evaluate(TIP_TEXT)
    act()
    page.wait_for_function(NEW_TIP, arg=before)
    return str(page.evaluate(TIP_TEXT))


def hover_every_bar(page: Any) -> list[str]:
    """Moves the mouse over each organization's row of bars; returns each tooltip's text."""
    names = page.evaluate(f"{CHART}.getOption().yAxis[0].data")
    chart = page.locator("#chart-children")
    chart.evaluate("el => el.scrollIntoView({block: 'center'})")  # wholly in view
    box = chart.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    seen = []
    for i in range(len(names)):
        x, y = page.evaluate(f"{CHART}.convertToPixel({{gridIndex: 0}}, [30, {i}])")
        seen.append(show_tip(page, partial(page.mouse.move, box["x"] + x, box["y"] + y)))
    return seen


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp-enforced", "csp-ignored"])
def test_an_organization_name_is_text_in_the_chart_tooltips(
        hostile_server: str, browser: Any, bypass_csp: bool) -> None:
    context, page, headers, errors = open_reports(browser, hostile_server, bypass_csp=bypass_csp)
    try:
        policy = headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
        assert headers.get("x-frame-options") == "DENY"

        seen = hover_every_bar(page)
        page.mouse.move(0, 0)
        for i in (0, 1):  # and through ECharts' own API, as a script would
            seen.append(show_tip(page, partial(page.evaluate, f"{CHART}.dispatchAction("
                                 f"{{type: 'showTip', seriesIndex: 0, dataIndex: {i}}})")))
        page.wait_for_timeout(300)  # an <img src=x> would have failed to load by now

        assert page.evaluate("typeof window.__pwned") == "undefined"
        # Nothing from a name became an element: no <img>, no <script> in the charts.
        assert page.locator("#report-charts img, #report-charts script").count() == 0
        assert [t.split("参学率：")[0] for t in seen] == [IMG, SCRIPT, IMG, SCRIPT], seen
        assert "参学统计 · 中共青川县委" in page.inner_text("h1")
        table = page.inner_text("table.report-children")
        assert IMG in table and SCRIPT in table  # the server's table: text too
        if not bypass_csp:
            assert page.evaluate("window.__csp") == [], "the page's own code was refused"
            assert [e for e in errors if "Content Security Policy" in e] == [], errors
        assert [e for e in errors if "/favicon.ico" not in e] == [], errors
    finally:
        context.close()


def test_the_reports_page_passes_axe(hostile_server: str, browser: Any) -> None:
    """No serious or critical accessibility problem on the dashboard (axe-core, as served)."""
    context, page, _, _ = open_reports(browser, hostile_server, bypass_csp=False)
    try:
        # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses
        # an injected <script> tag, so add_script_tag is not an option here.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => [v.impact, v.id, v.nodes.length,
                                          v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
        }""")
        serious = [v for v in result if v[0] in ("serious", "critical")]
        print("axe on /app/reports/:", result)
        assert serious == [], serious
    finally:
        context.close()
