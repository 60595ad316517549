"""Run real MkDocs builds of a project folder (helper for the build tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def mkdocs_build(
    project: Path, *, today: str, preview: bool = False,
    site_url: str = "https://dangjian.example.cn/", registry: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SITE_TODAY=today, SITE_PREVIEW="true" if preview else "false",
               SITE_URL=site_url, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH="1795651200")
    # New ids go into the project's copy (or ``registry``), never a file named
    # by the caller's shell.
    env.pop("SITE_REGISTRY", None)
    if registry is not None:
        env["SITE_REGISTRY"] = registry
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
