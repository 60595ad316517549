"""Settings from environment variables, with safe defaults for one machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any


def private_instance(instance: Path) -> Path:
    """instance/ (the SQLite database, the secret key, backups' default home) made
    or kept readable by its owner only: 0700."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to change: leave it to the operator
        if instance.stat().st_mode & 0o077:
            instance.chmod(0o700)
    return instance


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, or one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        private_instance(instance)
        # Write-then-rename so two workers starting together agree on one key.
        tmp = path.with_suffix(f".{os.getpid()}")
        # Created 0600, never readable by others even for a moment.
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
                       encoding="utf-8") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    elif path.stat().st_mode & 0o077:  # an older install's key, readable by others
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the scheme some hosts hand out
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url or f"sqlite:///{private_instance(instance) / 'portal.db'}"


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Writers wait for each other instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    # No pool_pre_ping: its round trip was 18% of a heartbeat's time (py-spy,
    # bench/heartbeat.py). A connection the server closed (a restart) is dropped
    # at checkout without a round trip (db._drop_closed_connections); hourly
    # recycling retires idle ones.
    return {"pool_recycle": 3600, "pool_size": 10, "max_overflow": 20}


def load(instance: Path, root: Path) -> dict[str, Any]:
    secure = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        # The site served at /: a symlink to the live build, which newsroom builds
        # (newsroom/builds.py, `flask build-site`) switch atomically; builds live in
        # SITE_BUILDS_DIR (default: site-builds/ beside it). Until the first build,
        # the app serves SITE_FALLBACK_DIR, `make site`'s site/, if SITE_DIR is unset.
        "SITE_DIR": os.environ.get("SITE_DIR", str(instance / "site-live")),
        "SITE_FALLBACK_DIR": None if os.environ.get("SITE_DIR") else str(root / "site"),
        "SITE_BUILDS_DIR": os.environ.get("SITE_BUILDS_DIR", ""),
        "SITE_BUILD_TIMEOUT": float(os.environ.get("SITE_BUILD_TIMEOUT", "3600")),
        # What the newsroom publishes into and builds: the MkDocs project's content.
        "CONTENT_DIR": os.environ.get("CONTENT_DIR", str(root / "content")),
        "MKDOCS_CONFIG": os.environ.get("MKDOCS_CONFIG", str(root / "mkdocs.yml")),
        # Each publish and withdrawal also a git commit in CONTENT_DIR's work tree
        # (newsroom/git_record.py); off by default, in the demo and in tests.
        "NEWSROOM_GIT_COMMIT": os.environ.get("NEWSROOM_GIT_COMMIT", "") == "1",
        # The newsroom's job runner (newsroom/jobs.py): Huey on SQLite in instance/,
        # or on Redis with HUEY_REDIS_URL; HUEY_IMMEDIATE=1 runs jobs in the caller.
        "HUEY_REDIS_URL": os.environ.get("HUEY_REDIS_URL", ""),
        "HUEY_SQLITE_PATH": os.environ.get("HUEY_SQLITE_PATH",
                                           str(instance / "newsroom-jobs.db")),
        "HUEY_IMMEDIATE": os.environ.get("HUEY_IMMEDIATE", "") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        # Sign-ins (auth/sessions.py): without remember-me a sign-in ends after
        # LOGIN_SESSION_HOURS; remember-me is opt-in and lasts at most 30 days.
        # auth/views.py enforces both again after overrides.
        "LOGIN_SESSION_HOURS": float(os.environ.get("LOGIN_SESSION_HOURS", "12")),
        "REMEMBER_COOKIE_DURATION": dt.timedelta(
            days=min(30, int(os.environ.get("REMEMBER_DAYS", "30")))),
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a reader may leave a tab open
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        # Sign-in throttling (auth/throttle.py): failures allowed before waits
        # start, per account and per client address; the waits then double from
        # 5 s to 15 minutes, and a day without failures forgets them.
        "LOGIN_FREE_FAILURES_PER_ACCOUNT": int(
            os.environ.get("LOGIN_FREE_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_FREE_FAILURES_PER_ADDRESS": int(
            os.environ.get("LOGIN_FREE_FAILURES_PER_ADDRESS", "20")),
        "DEVICE_COOKIE_DAYS": int(os.environ.get("DEVICE_COOKIE_DAYS", "365")),
        # Reading credit (contract 3): a heartbeat credits at most this much.
        "READING_MAX_CREDIT_SECONDS": int(os.environ.get("READING_MAX_CREDIT_SECONDS", "20")),
        # Tests and demos may shorten articles' required reading time.
        "READING_REQUIRED_SECONDS_OVERRIDE": int(
            os.environ.get("READING_REQUIRED_SECONDS_OVERRIDE", "0")) or None,
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", "65536")),
        "DEFAULT_ANNUAL_HOURS": 32,
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,  # imports: 100,000 members fit easily
        "PROXY_FIX": os.environ.get("PROXY_FIX", "") == "1",
    }
