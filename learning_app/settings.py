"""Settings from environment variables, with safe defaults for one machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, or one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write-then-rename so two workers starting together agree on one key.
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(secrets.token_hex(32), encoding="utf-8")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the scheme some hosts hand out
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url or f"sqlite:///{instance / 'portal.db'}"


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Writers wait for each other instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    # No pool_pre_ping: its round trip was 18% of a heartbeat's time (py-spy,
    # bench/heartbeat.py). A connection dropped by a server restart fails one
    # request and is replaced; hourly recycling retires idle ones.
    return {"pool_recycle": 3600, "pool_size": 10, "max_overflow": 20}


def load(instance: Path, root: Path) -> dict[str, Any]:
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        "SITE_DIR": os.environ.get("SITE_DIR", str(root / "site")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a reader may leave a tab open
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30/minute"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5/minute;20/hour"),
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
