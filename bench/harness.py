"""What the app benchmarks share: process setup, scratch space, the app and its database,
a gunicorn server, CPU accounting, a small HTTP client and percentiles.

* ``bench_process`` and ``scratch``: signals, the app's secret and cheap argon2; a work
  directory in the system temp dir (never in the repository) with a stub site.
* ``make_app`` and ``database``: the app on a given URL; a SQLite WAL file in the work
  directory, PostgreSQL from ``DATABASE_URL``, or a throwaway PostgreSQL server.
* ``start_gunicorn``, ``wait_for_ping``, ``stop_process_group``: the app on a loopback port.
* ``worker_pids``, ``all_processes_cpu``, ``machine_cpu``, ``process_label``,
  ``postmaster_pid``, ``wait_for_quiet``: whose CPU a run used, and who else was busy.
* ``HttpClient``: blocking HTTP/1.1 with keep-alive and cookies, cheap per request.

The scripts in ``bench/`` run as ``python bench/<name>.py``, so Python puts this
directory on ``sys.path`` and they ``import harness`` directly; ``learning_app``
comes from the project's editable install.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
APP = "learning_app:create_app()"  # what gunicorn serves
PASSWORD = "Bench#Heartbeat-2026"  # every bench member's password
USER_AGENT = "dj-heartbeat-bench/1"  # what HttpClient sends (part of Flask-Login's _id)
REQUEST_TIMEOUT_S = 15.0  # one request; a slower answer counts as an error
SERVER_START_TIMEOUT_S = 60.0
ARGON2_ENV = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
CSRF_INPUT = (re.compile(r'name="csrf_token"[^>]*value="([^"]+)"'),
              re.compile(r'value="([^"]+)"[^>]*name="csrf_token"'))


# --------------------------------------------------------------------------- the process


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def bench_process() -> None:
    """What every bench process sets first: Ctrl-C and SIGTERM unwind its cleanups
    (even if started ignoring SIGINT), and the app's secret and cheap argon2."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.update(ARGON2_ENV)


def scratch(cleanup: contextlib.ExitStack, prefix: str) -> tuple[Path, Path]:
    """A work directory that ``cleanup`` removes, and in it a stub site for the app."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
    site_dir = workdir / "site"
    site_dir.mkdir()
    (site_dir / "index.html").write_text("<h1>bench</h1>", encoding="utf-8")
    return workdir, site_dir


# --------------------------------------------------------------------------- app and database


def make_app(url: str, site_dir: Path) -> Flask:
    from learning_app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SITE_DIR": str(site_dir),
                       "SECRET_KEY": os.environ["SECRET_KEY"],
                       "ARGON2_TIME_COST": int(ARGON2_ENV["ARGON2_TIME_COST"]),
                       "ARGON2_MEMORY_COST": int(ARGON2_ENV["ARGON2_MEMORY_COST"])})


@contextlib.contextmanager
def database(kind: str, workdir: Path, *, fast: bool = False) -> Iterator[tuple[str, str]]:
    """Yield (SQLAlchemy URL, a description) of the database to use.

    ``fast`` turns fsync off on a throwaway server: for benchmarks that time
    reads after a bulk load, not commits.
    """
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}", f"SQLite WAL file in {workdir}"
        return
    if os.environ.get("DATABASE_URL"):
        from learning_app import settings

        yield settings.database_url(workdir), "PostgreSQL from DATABASE_URL"
        return
    from learning_app.devtools.pgserver import throwaway_postgres

    with throwaway_postgres(fast=fast) as url:
        yield url, ("throwaway PostgreSQL server (fsync off for the bulk load)" if fast
                    else "throwaway PostgreSQL server (durable settings: fsync on)")


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_gunicorn(url: str, site_dir: Path, port: int, log: Path, *, workers: int,
                   worker_class: str = "sync", threads: int = 1, app: str = APP,
                   settings: Mapping[str, str | None] | None = None
                   ) -> subprocess.Popen[bytes]:
    """gunicorn serving ``app`` on HOST:port, logging warnings to ``log``.

    Its environment is ours plus the database, the site and cheap argon2, then
    ``settings`` (a None value removes that variable).
    """
    env = {**os.environ, **ARGON2_ENV, "DATABASE_URL": url, "SITE_DIR": str(site_dir)}
    for name, value in (settings or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
               "--bind", f"{HOST}:{port}", "--worker-class", worker_class,
               "--timeout", "60", "--error-logfile", str(log), "--log-level", "warning"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    command.append(app)
    # Its own session: Ctrl-C in the terminal reaches us, and we stop it in order.
    return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_for_ping(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), 1) as sock:
            sock.sendall(f"GET /api/ping HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                         "Connection: close\r\n\r\n".encode())
            sock.settimeout(5)
            if sock.recv(64).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /api/ping in {SERVER_START_TIMEOUT_S} s:\n"
                       f"{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# --------------------------------------------------------------------------- CPU accounting


def worker_pids(master: int) -> list[int]:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
        return [int(pid) for pid in text.split()]
    return []


def all_processes_cpu() -> dict[int, float]:
    """CPU seconds of every process on the machine (to see who else is busy)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def process_label(pid: int) -> str:
    with contextlib.suppress(OSError):
        words = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                 .decode(errors="replace").split())
        if words:
            return " ".join(Path(words[0]).name.split() + words[1:3])[:48]
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return f"pid {pid}"


def wait_for_quiet(max_wait_s: float, busy_limit: float = 0.15) -> float:
    """Wait (bounded) until the machine is nearly idle; return its busy share.

    Other people's test runs on the same two cores would otherwise be
    measured as our slowness. The app and the generator are idle meanwhile.
    """
    deadline = time.monotonic() + max_wait_s
    busy = 1.0
    for _ in range(1000):
        before = machine_cpu()
        time.sleep(2.0)
        after = machine_cpu()
        busy = (after[0] - before[0]) / max(1e-9, after[1] - before[1])
        if busy <= busy_limit or time.monotonic() >= deadline:
            break
        print(f"machine {busy:.0%} busy with other work; waiting for it to calm down",
              flush=True)
        time.sleep(3.0)
    return busy


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    ticks = os.sysconf("SC_CLK_TCK")
    return (total - idle) / ticks, total / ticks


def postmaster_pid(url: str) -> int | None:
    """The local PostgreSQL server's main process, to account its CPU."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        parent = int(stat[1])
        return parent if "postgres" in process_label(parent) else None
    except (OSError, ValueError, IndexError):
        return None
    finally:
        engine.dispose()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


# --------------------------------------------------------------------------- HTTP


class HttpError(Exception):
    pass


def form_csrf_token(html: str) -> str | None:
    """The CSRF token of a server-rendered form (``/app/login``), if there is one."""
    match = CSRF_INPUT[0].search(html) or CSRF_INPUT[1].search(html)
    return match.group(1) if match else None


class HttpClient:
    """A minimal blocking HTTP/1.1 client: keep-alive when offered, cookies, no frills.

    Plain sockets in threads cost this generator about 0.1 ms of CPU per
    request against about 0.3 ms for asyncio streams (measured here against
    gunicorn's /api/ping), which matters with the server on the same 2 cores.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        sock, self.sock, self.buffer = self.sock, None, b""
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None,
                send_cookies: bool = True) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}",
                 f"User-Agent: {USER_AGENT}", "Accept: */*"]
        if send_cookies and self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in range(2):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port), REQUEST_TIMEOUT_S)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.settimeout(REQUEST_TIMEOUT_S)
            try:
                self.sock.sendall(payload)
                return self._response()
            except (ConnectionError, HttpError) as exc:
                nothing_read = not self.buffer and not isinstance(exc, HttpError)
                self.close()
                # A kept-alive connection the server closed meanwhile: send again once.
                if not (reused and nothing_read and attempt == 0):
                    raise
        raise HttpError("unreachable")

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("closed by the server") if not self.buffer \
                else HttpError("connection closed mid-response")
        self.buffer += chunk

    def _read_until(self, marker: bytes) -> bytes:
        for _ in range(10_000):
            end = self.buffer.find(marker)
            if end >= 0:
                found, self.buffer = self.buffer[:end], self.buffer[end + len(marker):]
                return found
            self._fill()
        raise HttpError("response head too long")

    def _read_exactly(self, size: int) -> bytes:
        for _ in range(100_000):
            if len(self.buffer) >= size:
                found, self.buffer = self.buffer[:size], self.buffer[size:]
                return found
            self._fill()
        raise HttpError("response body too long")

    def _response(self) -> tuple[int, bytes]:
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length: int | None = None
        chunked = close = False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.lower() == "close"
            elif name == "set-cookie":
                self._set_cookie(value)
        if chunked:
            parts = []
            for _ in range(100_000):
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                parts.append(self._read_exactly(size))
                self._read_exactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = self._read_exactly(length)
        else:
            for _ in range(100_000):
                try:
                    self._fill()
                except (ConnectionError, HttpError):
                    break
            body, close = self.buffer, True
        if close:
            self.close()
        return status, body

    def _set_cookie(self, value: str) -> None:
        pair, _, attributes = value.partition(";")
        name, _, content = pair.partition("=")
        attributes = attributes.lower()
        if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = content.strip()
