"""Publishing as git commits, where the operator keeps content/ in a git work tree.

``NEWSROOM_GIT_COMMIT`` (off by default, off in the demo and in tests) makes each
publish and each withdrawal one commit of exactly the article's files: the author
is the editor who created the article, the message names the text's version and
its approvers, so ``git log`` stays the record next to the app's trail. Other
changes in the work tree are never swept in (the commit names its paths).
A commit that fails refuses the publish (``PublishError``): the operator asked
for git to be the record, so nothing goes live without it.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from learning_app.newsroom.publish import PublishError

COMMITTER = ("在线采编", "newsroom@dangjian-portal.invalid")
_GIT_CRUD = re.compile(r"[\x00-\x20.,:;<>\"\\']")  # what git drops from a name (ident.c)


@dataclass(frozen=True)
class Person:
    name: str
    code: str  # the member's code: a stable address for git, nothing personal

    @property
    def email(self) -> str:
        return f"{self.code}@members.dangjian-portal.invalid"


def message(title: str, verb: str, number: int, approvers: Sequence[tuple[str, str]],
            note: str | None = None) -> str:
    """``发布《标题》第3版`` and one line per approving level (``初审：张三``)."""
    lines = [f"{verb}《{title}》第{number}版", ""]
    lines += [f"{level}：{name}" for level, name in approvers]
    if note:
        lines += ["", note]
    return "\n".join(lines).rstrip() + "\n"


def _git(work_tree: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(work_tree), *args], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, **(env or {})})


def commit(content_dir: Path, paths: Sequence[Path], *, author: Person, text: str) -> str | None:
    """Commit ``paths`` (files or folders, present or deleted) as ``author``; the new
    commit's id, or None when git sees no change."""
    top = _git(content_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise PublishError(f"内容目录不是 git 工作区，无法按设置提交：{content_dir}")
    root = Path(top.stdout.strip()).resolve()
    # The folder resolved, not the name: a symlinked -files folder is committed as
    # the link, never as the folder it points to (which holds others' work).
    located = [Path(path).parent.resolve() / Path(path).name for path in paths]
    # A path neither on disk nor known to git (an article without uploads has no
    # -files folder) would fail "git add": left out.
    relative = [str(path.relative_to(root)) for path in located
                if os.path.lexists(path)
                or _git(root, "ls-files", "--", str(path.relative_to(root))).stdout.strip()]
    if not relative:
        return None
    added = _git(root, "add", "--all", "--", *relative)
    if added.returncode != 0:
        raise PublishError(f"git add 失败：{added.stderr.strip()[:300]}")
    if _git(root, "diff", "--cached", "--quiet", "--", *relative).returncode == 0:
        return None
    # Git refuses a name of nothing but the characters it strips ("." or "<>"): the
    # member's code then, rather than a publish refused for the editor's name.
    name = author.name if _GIT_CRUD.sub("", author.name) else author.code
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": author.email,
           "GIT_COMMITTER_NAME": COMMITTER[0], "GIT_COMMITTER_EMAIL": COMMITTER[1]}
    done = _git(root, "commit", "--quiet", "--no-verify", "-m", text, "--", *relative, env=env)
    if done.returncode != 0:
        raise PublishError(f"git 提交失败：{(done.stderr or done.stdout).strip()[:300]}")
    return _git(root, "rev-parse", "HEAD").stdout.strip()
