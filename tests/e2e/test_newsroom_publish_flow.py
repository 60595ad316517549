"""Issue 12's browser test: from an editor's phone to a member's credit, all through
the pages, in Debian's chromium at 390px.

1. An editor writes a news article in 在线采编: the fields, the body typed in the
   editor, a phone photo (a JPEG carrying EXIF GPS) uploaded with its 图片说明,
   saved and sent to review (送审).
2. Three reviewers, one per level (初审, 复审, 终审签发), each sign in and approve;
   the third confirms 保密审查 and signs.
3. The job runner builds the site and switches it live: the page shows the title
   and the photo, the photo is served (200) and neither the served nor the stored
   file carries GPS.
4. A member reads the article on the site until the reading tracker credits it,
   and 我的学习 shows the credit.

The installation is ``make run``'s, under tmp_path: a copy of content/ and
mkdocs.yml, gunicorn (two workers) and ``flask newsroom-runner`` (Huey on SQLite)
as separate processes, the live site a symlink the runner switches, the id
registry in instance/article-ids. The clock is pinned (newsroom_flow_helpers):
09:30 in Beijing on DAY, running at the real pace, read by the test, the server
and the runner alike, so the article's date, the build's SITE_TODAY and the
credit's day never depend on the calendar. The member reads for the article's
real required time (a short article: about 12 s); only the tracker's 15-second
timer in the page is driven (``page.clock``), as in test_reading_app.py.

Screenshots of each step go to tmp_path (their paths are printed).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.conftest import ROOT
from tests.e2e.conftest import READER_PASSWORD, sign_in
from tests.e2e.newsroom_flow_helpers import (
    clock_env,
    pinned_clock,
    start_runner,
    start_server,
    stop,
    wait_for,
)

DAY = dt.date(2027, 3, 10)  # the pinned day: the article's date and the site's today
START = dt.datetime.combine(DAY, dt.time(1, 30))  # 09:30 in Beijing, naive UTC

EDITOR, ADMIN, READER = "E2EPFED", "E2EPFADM", "E2EPFRD"
REVIEWERS = [("E2EPFR1", "李春梅", "初审"), ("E2EPFR2", "陈建华", "复审"),
             ("E2EPFR3", "周立新", "终审签发")]

ARTICLE_ID = "yangliuwan-chungeng"
TITLE = "杨柳湾村召开春耕生产现场会"
DEPARTMENT = "县农业农村局"
TAGS = "春耕、产业扶贫"
BODY = ["三月十日上午，杨柳湾村在村委会召开春耕生产现场会，驻村工作队和村民代表四十多人参加。",
        "县农业农村局的技术员讲解了玉米良种和测土配方施肥，村党支部安排党员结对帮助缺劳力的农户。"]
ALT = "驻村工作队在杨柳湾村田间查看春耕"
GPS_IFD = 0x8825
BUILD_TIMEOUT_S = 300.0  # a build of the real content: ~10 s alone, more on a busy machine


@dataclass
class Portal:
    url: str
    content: Path  # CONTENT_DIR
    site: Path  # SITE_DIR, the live symlink


def add_people(now: dt.datetime) -> None:
    """The county, its admin (who sets the levels), an editor, one reviewer per level
    and a member who reads; all party members of the county."""
    from learning_app.admin.memberships import open_membership
    from learning_app.auth.passwords import hash_password
    from learning_app.extensions import db
    from learning_app.models import Member, Organization
    from learning_app.newsroom import service

    county = Organization(code="QC", name="中共青川县委", kind="county", path="/1/", depth=0)
    db.session.add(county)
    db.session.flush()
    people: dict[str, Member] = {}
    rows = [(ADMIN, "刘国平", "county_admin"), (EDITOR, "宣传编辑张敏", "editor"),
            (READER, "王秀英", "member")] + [(code, name, "member") for code, name, _ in REVIEWERS]
    for n, (code, name, role) in enumerate(rows, start=1):
        member = Member(code=code, name=name, phone=f"1370000{n:04d}", role=role,
                        scope_org_id=county.id if role == "county_admin" else None,
                        password_hash=hash_password(READER_PASSWORD), must_change_password=False)
        db.session.add(member)
        db.session.flush()
        open_membership(db.session, member, county, dt.date(2020, 1, 1))
        people[code] = member
    db.session.commit()
    service.configure_levels(db.session, people[ADMIN],
                             [(level, [people[code].id]) for code, _, level in REVIEWERS], now)


@pytest.fixture
def portal(tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    """``make run`` under tmp_path on the pinned clock: migrated database, people,
    the first build (the runner's), gunicorn and the runner; yields once the site
    is served."""
    from flask_migrate import upgrade

    from learning_app import create_app
    from learning_app.extensions import db
    from learning_app.newsroom import builds

    project, instance = tmp_path / "project", tmp_path / "instance"
    project.mkdir()
    instance.mkdir(mode=0o700)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "content", project / "content")
    url = f"http://127.0.0.1:{port}"
    epoch = time.time()
    clock = pinned_clock(START, epoch)
    settings = {
        "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}", "SECRET_KEY": "e2e-newsroom",
        "SITE_DIR": str(instance / "site-live"), "CONTENT_DIR": str(project / "content"),
        "MKDOCS_CONFIG": str(project / "mkdocs.yml"),
        "HUEY_SQLITE_PATH": str(instance / "newsroom-jobs.db"),
        "SITE_REGISTRY": str(instance / "article-ids"),  # as make run: the copy stays as copied
        "SITE_URL": url + "/",  # Material's instant navigation: the served origin
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024",
        **clock_env(START, epoch),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("HUEY_IMMEDIATE", "HUEY_REDIS_URL", "NEWSROOM_GIT_COMMIT", "SITE_BUILDS_DIR",
                 "SITE_TODAY", "SITE_PREVIEW", "READING_REQUIRED_SECONDS_OVERRIDE",
                 "SESSION_COOKIE_SECURE", "PROXY_FIX"):
        monkeypatch.delenv(name, raising=False)

    app = create_app()  # the settings above, as the server's processes read them
    with app.app_context():
        upgrade()
        add_people(clock())
        # What `flask build-site` does before `make run` serves; the runner builds it.
        builds.request_build(db.session, "首次构建网站", now=clock())
        db.engine.dispose()

    env = dict(os.environ)
    runner = start_runner(env, tmp_path / "runner.log")
    server = start_server(port, env, tmp_path / "server.log")
    try:
        wait_for(url + "/app/login", lambda status, _: status == 200, timeout_s=60,
                 process=server, log=tmp_path / "server.log")
        wait_for(url + "/", lambda status, body: status == 200 and "工作动态" in body.decode(),
                 timeout_s=BUILD_TIMEOUT_S, process=runner, log=tmp_path / "runner.log")
        yield Portal(url, project / "content", instance / "site-live")
    finally:
        stop(server)
        stop(runner)
    print("runner log:", tmp_path / "runner.log", "server log:", tmp_path / "server.log")


def phone_page(browser: Any, contexts: list[Any]) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy machine: two gunicorn workers and a build
    return page


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def phone_photo(folder: Path) -> Path:
    """A phone's photo: 2400x1600, with EXIF GPS (a village's location) and a maker."""
    image = Image.new("RGB", (2400, 1600), (96, 140, 60))
    draw = ImageDraw.Draw(image)
    for x in range(0, 2400, 160):
        draw.rectangle([x, 900, x + 80, 1600], fill=(120, 90, 50))
    draw.ellipse([1700, 150, 2000, 450], fill=(250, 220, 90))
    exif = Image.Exif()
    exif[0x010F] = "VillagePhone"
    exif[GPS_IFD] = {1: "N", 2: (32.0, 25.0, 12.0), 3: "E", 4: (105.0, 13.0, 30.0)}
    path = folder / "IMG_20270310_093012.jpg"
    image.save(path, "JPEG", exif=exif, quality=85)
    assert GPS_IFD in exif_of(path.read_bytes())  # the upload really carries GPS
    return path


def exif_of(data: bytes) -> dict[int, Any]:
    """The photo's EXIF fields, the GPS block's as ``GPS_IFD``."""
    exif = Image.open(io.BytesIO(data)).getexif()
    return {**dict(exif), **({GPS_IFD: gps} if (gps := exif.get_ifd(GPS_IFD)) else {})}


def write_article(page: Any, portal: Portal, photo: Path, shots: Path) -> None:
    """The editor's walk: 在线采编 → 写新稿件 → the fields → the body and photo → 保存 → 送审."""
    sign_in(page, portal.url, EDITOR)
    page.click("nav.menu >> text=在线采编")
    page.wait_for_url(portal.url + "/app/newsroom/")
    page.click("a:has-text('写新稿件')")
    page.wait_for_url(portal.url + "/app/newsroom/new")
    page.check("input[name=section][value=news]")
    page.fill("#f-id", ARTICLE_ID)
    page.fill("#f-title", TITLE)
    page.fill("#f-date", DAY.isoformat())
    page.fill("#f-department", DEPARTMENT)
    page.fill("#f-tags", TAGS)
    fits(page)
    shot(page, shots, "01-new")
    page.click("button:has-text('建立稿件')")
    page.wait_for_url(re.compile(r".*/app/newsroom/\d+/edit$"))

    page.wait_for_selector(".EasyMDEContainer .CodeMirror")
    page.click(".CodeMirror")
    page.keyboard.type(BODY[0])
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type(BODY[1])

    # The photo through the page's own upload control, with its 图片说明.
    page.set_input_files("#u-file", str(photo))
    assert photo.name in page.inner_text("#upload [data-file-name]")
    page.fill("#u-alt", ALT)
    page.click("#upload button:has-text('上传照片')")
    page.wait_for_selector("#upload [data-upload-status]:has-text('照片已上传并插入正文')")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert BODY[0] in text and f"![{ALT}](" in text
    fits(page)
    shot(page, shots, "02-edit-with-photo")

    page.click("#draft-form button[type=submit]")
    page.wait_for_selector("text=已保存为第2版")
    page.frame_locator("#preview-frame").locator(f"img[alt='{ALT}']").wait_for()
    shot(page, shots, "03-saved")
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/app/newsroom/\d+$"))
    assert "已送审第2版，等待初审" in page.inner_text("main")
    assert "审核中" in page.inner_text("main")
    fits(page)
    shot(page, shots, "04-submitted")


def review(page: Any, portal: Portal, code: str, name: str, level: str, shots: Path,
           step: int) -> None:
    """One reviewer's walk: sign in, 在线采编 (its count), 待我审核, the article, decide."""
    sign_in(page, portal.url, code)
    assert page.inner_text("nav.menu .count") == "1"  # 待我审核: one article
    page.click("nav.menu >> text=在线采编")
    waiting = page.locator("section[aria-labelledby=waiting-title]")
    assert "待我审核（1）" in waiting.inner_text()
    assert f"等待{level}" in waiting.inner_text()
    waiting.locator(f"a:has-text('{TITLE}')").click()
    page.wait_for_selector("#decide")
    assert f"您正在办理{level}" in page.inner_text("#decide")
    fits(page)
    shot(page, shots, f"{step:02d}-review-{code}")
    if level == "终审签发":
        page.fill("#comment", "同意发布。")
        page.check("#secrecy")
        page.click("#decide button[value=sign]")
        page.wait_for_selector("text=已签发，网站正在更新")
    else:
        page.fill("#comment", "内容属实，同意。")
        page.click("#decide button[value=approve]")
        page.wait_for_selector(f"text=已通过{level}")
    # The trail's newest step: this reviewer's, on the version the editor sent.
    done = page.locator("ol.steps > li").last.inner_text()
    action = "终审签发" if level == "终审签发" else f"审核通过（{level}）"
    assert action in done and "第2版" in done and name in done, done
    assert ("保密审查已确认" in done) == (level == "终审签发"), done


def wait_until_live(page: Any, shots: Path) -> None:
    """The signer's article page as the runner builds: 排队中/构建中, then 已上线 and
    the link to the page (reloaded, as a person would)."""
    facts = page.locator("section[aria-label=稿件情况]")
    first = facts.inner_text()
    assert re.search(r"网站更新\s*(排队中|构建中|已上线)", first), first
    shot(page, shots, "08-signed")
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while page.locator("a:has-text('在网站上查看')").count() == 0:
        text = facts.inner_text()
        assert "失败" not in text, text
        assert time.monotonic() < deadline, f"not live after {BUILD_TIMEOUT_S:.0f}s: {text}"
        page.wait_for_timeout(2000)
        page.reload()
    text = facts.inner_text()
    assert re.search(r"状态\s*已上线", text), text
    assert re.search(r"网站更新\s*已上线", text), text
    assert "上线时间" in text and f"{DAY.year}年{DAY.month}月{DAY.day}日" in text, text
    assert page.locator("ol.steps > li").last.inner_text().startswith("上线")
    fits(page)
    shot(page, shots, "09-live-in-newsroom")


def check_live_page(page: Any, portal: Portal, shots: Path) -> None:
    """The site's page: title, the photo shown and served, no GPS in what is served
    or stored."""
    page.click("a:has-text('在网站上查看')")
    page.wait_for_url(re.compile(rf".*/news/{ARTICLE_ID}/$"))
    assert page.inner_text("article h1") == TITLE
    image = page.locator(f"article img[alt='{ALT}']")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    source = image.evaluate("img => img.src")
    served = page.request.get(source)
    assert served.status == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert exif_of(served.body()) == {}  # the GPS and the phone's maker: all gone
    assert Image.open(io.BytesIO(served.body())).width == 1600  # scaled for the web
    stored = list((portal.content / "news" / f"{ARTICLE_ID}-files").glob("*.jpg"))
    assert len(stored) == 1 and exif_of(stored[0].read_bytes()) == {}
    assert served.body() == stored[0].read_bytes()
    live = portal.site.resolve() / "news" / f"{ARTICLE_ID}"
    assert (live / "index.html").is_file()
    fits(page)
    shot(page, shots, "10-live-page")


def read_for_credit(page: Any, portal: Portal, shots: Path) -> None:
    """A member opens the article from the site's home page and reads until the
    tracker's heartbeat is credited; 我的学习 then lists it."""
    page.clock.install()  # the tracker's 15-second timer, driven without waiting for it
    sign_in(page, portal.url, READER)
    assert page.locator("[data-testid=total-hours]").inner_text() == "0"
    page.click("header a.brand")  # the site's home page
    page.wait_for_url(portal.url + "/")
    link = page.locator(f"a:has-text('{TITLE}')").first
    with page.expect_response(lambda r: "/api/reading/heartbeat" in r.url) as opening:
        link.click()
    assert opening.value.json()["accepted"] is True  # opens this view's span
    assert page.inner_text("article h1") == TITLE
    required = int(page.get_attribute("[data-dj-article]", "data-dj-required") or "0")
    assert 0 < required <= 20  # one heartbeat's worth (the app credits at most 20 s a beat)
    page.wait_for_timeout((required + 1) * 1000)  # real reading time: the server counts it
    page.mouse.wheel(0, 300)  # the reader is active
    with page.expect_response(lambda r: "/api/reading/heartbeat" in r.url) as beat:
        page.clock.run_for(16_000)
    answer = beat.value.json()
    assert answer["credited"] is True
    page.wait_for_selector(".dj-reading[data-dj-state=credited]")
    assert "本文已计入学时" in page.inner_text(".dj-reading-status")
    shot(page, shots, "11-member-credited")

    page.goto(portal.url + "/app/")
    readings = page.inner_text("[data-testid=readings]")
    assert TITLE in readings and f"{DAY.isoformat()} · {answer['credit_hours']:g} 学时" in readings
    assert page.locator("[data-testid=total-hours]").inner_text() == f"{answer['credit_hours']:g}"
    fits(page)
    shot(page, shots, "12-my-learning")


def test_an_article_goes_from_an_editors_phone_to_a_members_credit(
        browser: Any, portal: Portal, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    photo = phone_photo(tmp_path)
    errors: list[str] = []
    contexts: list[Any] = []  # one per person, each signed in on its own phone
    try:
        editor = phone_page(browser, contexts)
        editor.on("pageerror", lambda error: errors.append(f"editor: {error}"))
        write_article(editor, portal, photo, shots)

        for step, (code, name, level) in enumerate(REVIEWERS, start=5):
            page = phone_page(browser, contexts)
            page.on("pageerror", lambda error, code=code: errors.append(f"{code}: {error}"))
            review(page, portal, code, name, level, shots, step)
        wait_until_live(page, shots)
        check_live_page(page, portal, shots)

        member = phone_page(browser, contexts)
        member.on("pageerror", lambda error: errors.append(f"member: {error}"))
        read_for_credit(member, portal, shots)
    finally:
        for context in contexts:
            context.close()
    assert errors == []
    print("screenshots:", sorted(str(path) for path in shots.glob("*.png")))
