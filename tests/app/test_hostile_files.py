"""Bad files can't take the app down (issue 11, finding 8).

Before the fix: a 3 MB XLSX that unpacked to 900 MB killed a worker after
30 s, two of them stalled the app, 5 million blank rows slipped past the row
limit, and a small shared-strings bomb took a worker from 150 to 684 MB.
Each hostile file here is built in tmp_path (tests/app/hostile_helpers.py)
and must get a clear Chinese refusal within seconds, on row 1 unless a row
is to blame; the last test uploads two at once to a live server while
another client keeps pinging it.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from learning_app.errors import RowProblem, SheetRejected
from learning_app.extensions import db
from learning_app.imports.limits import FileLimits
from learning_app.imports.readers import read_table
from learning_app.models import AuditEvent
from tests.app import hostile_helpers as hostile
from tests.app.conftest import PASSWORD, MakeMember

ROOT = Path(__file__).resolve().parents[2]
REFUSAL_SECONDS = 5.0  # each refusal takes well under a second alone; the machine is shared


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Each hostile file built once for the module, on first use."""
    folder = tmp_path_factory.mktemp("hostile")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = getattr(hostile, name)(folder / f"{name}.xlsx")
        return built[name]

    return get


def refusal(data: bytes, name: str, limits: FileLimits | None = None
            ) -> tuple[list[RowProblem], float]:
    start = time.perf_counter()
    with pytest.raises(SheetRejected) as caught:
        read_table(data, name, limits=limits)
    return caught.value.problems, time.perf_counter() - start


@pytest.mark.parametrize(("bomb", "expected"), [
    ("zip_bomb", "第1行 文件：文件解压后有399.6MB，超过上限256MB"),
    ("lying_bomb", "第1行 文件：文件不是有效的 .xlsx 表格"),
    ("shared_strings_bomb", "第1行 文件：文件中的文字条目超过500,000条"),
    ("blank_rows", "第1行 文件：表格超过200,000行（第200,001行），空行也计算在内"),
    ("far_row", "第1行 文件：表格超过200,000行（第5,000,000行）"),
    ("claimed_rows", "第1行 文件：工作表声明的范围是5,000,000行×4列，超过上限（200,000行、100列）"),
    ("wide_row", "第2行 文件：第2行的内容超过1MB"),
    ("entity_bomb", "第1行 文件：文件中含有正常表格不会有的 XML 文档类型声明"),
    ("traversal", "第1行 文件：文件内部含有不安全的路径"),
    ("not_a_zip", "第1行 文件：文件不是有效的 .xlsx 表格"),
    ("big_cell", "第2行 姓名：这一格超过128KB"),
])
def test_each_bomb_is_refused_in_seconds_with_a_chinese_reason(
        files: Callable[[str], Path], bomb: str, expected: str) -> None:
    path = files(bomb)
    problems, seconds = refusal(path.read_bytes(), path.name)
    assert len(problems) == 1 and str(problems[0]).startswith(expected), problems
    assert seconds < REFUSAL_SECONDS, f"{bomb}: {seconds:.1f} s"


def test_a_packed_ratio_bomb_under_the_size_limits(tmp_path: Path) -> None:
    path = hostile.zip_bomb(tmp_path / "ratio.xlsx", unpacked=120 * 1024 * 1024)
    problems, seconds = refusal(path.read_bytes(), path.name)
    assert "压缩比异常" in problems[0].message and "上限100倍" in problems[0].message
    assert seconds < REFUSAL_SECONDS


def test_columns_named_past_the_limit_and_odd_parts(tmp_path: Path) -> None:
    sheet = [hostile.sheet_start(), hostile.row_xml(1, hostile.HEADER),
             '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>',
             hostile.SHEET_END]
    problems, _ = refusal(hostile.write_xlsx(tmp_path / "wide.xlsx", sheet).read_bytes(), "w")
    assert str(problems[0]).startswith("第2行 文件：第2行超过100列")

    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + "".join(hostile.plain_sheet([]))[38:]
             ).encode("utf-16")
    problems, _ = refusal(hostile.write_xlsx(tmp_path / "u16.xlsx", [utf16]).read_bytes(), "u")
    assert "不支持的文字编码" in problems[0].message

    # A sheet under another root name is still read for rows by openpyxl: still scanned.
    wide = hostile.wide_row(tmp_path / "w.xlsx").read_bytes()
    disguised = hostile.write_xlsx(tmp_path / "disguised.xlsx", [
        f'<?xml version="1.0"?><!-- <worksheet> --><notasheet xmlns="{hostile.MAIN}">'
        "<sheetData>", '<row r="1">', *(f"<c><v>{n * 7919 % 10**9}</v></c>"
                                        for n in range(150_000)), "</row>",
        "</sheetData></notasheet>"])
    for data, row in ((wide, 2), (disguised.read_bytes(), 1)):
        problems, _ = refusal(data, "d")
        assert problems[0].message.startswith(f"第{row}行的内容超过1MB"), problems

    extra = {f"xl/media/image{n}.png": "x" for n in range(600)}
    crowded = hostile.write_xlsx(tmp_path / "parts.xlsx", hostile.plain_sheet([]), extra=extra)
    problems, _ = refusal(crowded.read_bytes(), "p")
    assert "文件内部有606个部件，超过上限500个" in problems[0].message

    # The limits come from the config: a smaller roll limit refuses a smaller file.
    rows = [[f"QC{n:04d}", "张三", "", "QC-LQ-01"] for n in range(20)]
    small = hostile.write_xlsx(tmp_path / "rows.xlsx", hostile.plain_sheet(rows))
    problems, _ = refusal(small.read_bytes(), "r", FileLimits.from_config(
        {"IMPORT_LIMITS": {"max_rows": 10}}))
    assert "表格超过10行" in problems[0].message


def test_a_real_roster_still_reads(tmp_path: Path) -> None:
    rows = [[f"QC{n:05d}", "张明华", f"139{n:08d}", "QC-LQ-01"] for n in range(3000)]
    path = hostile.write_xlsx(tmp_path / "ok.xlsx", hostile.plain_sheet(rows,
                                                                        dimension="A1:D3001"))
    table = read_table(path.read_bytes(), path.name)
    assert len(table.rows) == 3000 and table.rows[-1].get("手机号") == "13900002999"
    assert table.rows[0].number == 2


def test_csv_blank_line_flood_and_a_huge_cell() -> None:
    problems, seconds = refusal(b"\r\n" * 5_000_000 + "党员编号,姓名\n".encode(), "x.csv")
    assert str(problems[0]).startswith("第1行 文件：表格超过200,000行（第200,001行）")
    assert seconds < REFUSAL_SECONDS
    # Without the fix the csv module's "field larger than field limit" was a 500.
    header = "党员编号,姓名,手机号,所在组织编码\n"
    for cell in ("x" * 200_000, '"a ""quoted"" ' + "y" * 200_000 + '"'):
        data = (header + "N001,张三,,QC-LQ-01\n" + f"N002,{cell},,QC-LQ-01\n").encode()
        problems, _ = refusal(data, "members.csv")
        assert [str(p) for p in problems] == [
            "第3行 姓名：这一格超过128KB，请检查是否粘贴了多余的内容"]
    wide = (",".join(["a"] * 150) + "\n").encode()
    problems, _ = refusal(wide, "x.csv")
    assert "超过100列" in problems[0].message


def test_formulas_never_import_and_control_characters_are_refused(tmp_path: Path) -> None:
    member = ["QC0001", "", "", "QC-LQ-01"]
    sheet = [hostile.sheet_start(), hostile.row_xml(1, hostile.HEADER),
             # A formula with a cached value imports the value; the formula is never stored.
             '<row r="2"><c t="inlineStr"><is><t>QC0001</t></is></c>'
             '<c t="str"><f>HYPERLINK("http://evil.example","点我")</f><v>点我</v></c></row>',
             # One without a value (as openpyxl writes "=…") leaves the cell empty.
             '<row r="3"><c t="inlineStr"><is><t>QC0002</t></is></c>'
             '<c><f>HYPERLINK("http://evil.example","x")</f></c></row>',
             hostile.SHEET_END]
    table = read_table(hostile.write_xlsx(tmp_path / "f.xlsx", sheet).read_bytes(), "f.xlsx")
    assert [row.get("姓名") for row in table.rows] == ["点我", ""]
    # Excel writes a control character as _x0007_; openpyxl hands that back as text.
    path = hostile.write_xlsx(tmp_path / "c.xlsx", hostile.plain_sheet(
        [member, ["QC0002", "石桥_x0007_村", "", "QC-LQ-01"]]))
    problems, _ = refusal(path.read_bytes(), path.name)
    assert [str(p) for p in problems] == ["第3行 姓名：含有看不见的控制字符，请删去后重新导入"]


@pytest.mark.parametrize("bomb", ["shared_strings_bomb", "blank_rows", "zip_bomb"])
def test_peak_memory_stays_flat(files: Callable[[str], Path], bomb: str) -> None:
    """In a fresh process, so that ru_maxrss is this file's alone (before: +534 MB)."""
    path = files(bomb)
    script = (
        "import resource, sys\n"
        "from learning_app.imports.readers import read_table\n"
        "from learning_app.errors import SheetRejected\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    read_table(data, 'x.xlsx')\nexcept SheetRejected:\n    pass\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=True)
    assert int(done.stdout.strip()) < 100, f"{bomb}: +{done.stdout.strip()} MB"


# -------------------------------------------------------- the rest of the app keeps answering

class Browser:
    """Plain HTTP/1.1 against the live server, with the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None, timeout: float = 60) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, text

    def token(self, path: str) -> str:
        _, html = self.request("GET", path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, html[:300]
        return match.group(1)

    def login(self, code: str) -> None:
        form = {"login": code, "password": PASSWORD, "csrf_token": self.token("/app/login")}
        status, _ = self.request("POST", "/app/login", urlencode(form).encode(),
                                 "application/x-www-form-urlencoded")
        assert status == 302

    def upload(self, data: bytes, name: str) -> tuple[int, str, float]:
        token = self.token("/app/admin/imports/")
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                 f"{value}\r\n".encode() for key, value in
                 (("csrf_token", token), ("kind", "members"))]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        start = time.perf_counter()
        status, html = self.request("POST", "/app/admin/imports/", body,
                                    f"multipart/form-data; boundary={boundary}")
        return status, html, time.perf_counter() - start


@pytest.fixture
def live(app: Flask) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)


def test_two_bombs_at_once_while_another_client_keeps_pinging(
        live: int, make_member: MakeMember, files: Callable[[str], Path]) -> None:
    admin = make_member(role="county_admin")
    code, admin_id = admin.code, admin.id  # the threads have no app context to load them
    bombs = [files("zip_bomb").read_bytes(), files("blank_rows").read_bytes()]
    results: list[tuple[int, str, float]] = []

    def attack(data: bytes) -> None:
        browser = Browser(live)
        browser.login(code)
        results.append(browser.upload(data, "党员.xlsx"))

    attackers = [threading.Thread(target=attack, args=(data,)) for data in bombs]
    for attacker in attackers:
        attacker.start()
    pinger, pings = Browser(live), []
    while any(attacker.is_alive() for attacker in attackers):
        start = time.perf_counter()
        status, body = pinger.request("GET", "/api/ping", timeout=10)
        pings.append((status, json.loads(body), time.perf_counter() - start))
        time.sleep(0.02)
    for attacker in attackers:
        attacker.join()

    assert len(results) == 2
    for status, html, seconds in results:
        assert status == 422 and seconds < 3 * REFUSAL_SECONDS, (status, seconds)
        assert "未导入" in html and ("解压后有399.6MB" in html or "200,000行" in html)
    assert pings and all(status == 200 and body == {"ok": True} for status, body, _ in pings)
    assert max(seconds for _, _, seconds in pings) < 2.0, max(p[2] for p in pings)
    # Each refusal is in the audit log, with its reason.
    db.session.rollback()  # end this thread's read snapshot: see the server's writes
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 2 and all(event.detail.startswith("未导入（党员）：党员.xlsx，1个问题")
                                    for event in events)
    assert {event.actor_id for event in events} == {admin_id}
