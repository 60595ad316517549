"""Start a throwaway PostgreSQL server (tests, benchmarks) and remove it after.

Uses Debian's server binaries (/usr/lib/postgresql/N/bin). PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` user
that Debian's package creates.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def find_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name), reverse=True)
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries: apt-get install postgresql")
    return candidates[0].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(args: list[str], user: str | None) -> None:
    command = ["runuser", "-u", user, "--", *args] if user else args
    subprocess.run(command, check=True, capture_output=True, text=True)


@contextlib.contextmanager
def throwaway_postgres(*, fast: bool = True, database: str = "dangjian") -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database on a private server.

    ``fast`` turns off fsync (tests); benchmarks keep durable settings.
    """
    bindir = find_bindir()
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="dj-pg-"))
    data = root / "data"
    if user:
        shutil.chown(root, user)
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if fast:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8"], user)
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
              str(root / "server.log"), "-w", "start"], user)
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
              database], user)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)
