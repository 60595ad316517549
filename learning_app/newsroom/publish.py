"""An approved revision into ``content/``: contract 1's Markdown, written atomically.

The file is what an editor would have written by hand (YAML front matter between
``---`` lines, then the body), so git and hand edits keep working on it. It is
checked by the site build's own validator before it is written: a file the build
refuses would fail every later build, not just this article's.

Scheduled articles are written at once. The build only shows an article whose date
has come (``SITE_TODAY``), so writing early hides nothing and lets the build check
it now, while its editor is still there to read the error.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from learning_app.errors import Refused
from learning_app.models.types import TZ, local_date
from learning_app.newsroom.rules import as_markdown
from site_builder.drafts import check_draft, path_problem
from site_builder.frontmatter import FrontMatter

# Contract 1's keys in the order the hand-written files use.
KEY_ORDER = tuple(FrontMatter.model_fields)


class PublishError(Refused):
    """The revision can't become a content file; the message is for the editor."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def front_matter_values(front_matter: Mapping[str, Any]) -> dict[str, Any]:
    """The keys in contract order, empty ones left out, the date as a date."""
    values: dict[str, Any] = {}
    for key in KEY_ORDER:
        value = front_matter.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)  # JSON keeps it as text
        values[key] = value
    unknown = sorted(set(front_matter) - set(KEY_ORDER))
    if unknown:
        raise PublishError(f"稿件含有文章格式之外的字段：{'、'.join(unknown)}")
    return values


def render_markdown(front_matter: Mapping[str, Any], body: str) -> str:
    """The content file of a revision: ``---``, YAML, ``---``, a blank line, the body
    (one renderer: ``rules.as_markdown``, after the keys are checked and ordered)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    return as_markdown(front_matter_values(front_matter), text)


def content_file(content_dir: Path, rel_path: str) -> Path:
    """``rel_path`` as a Markdown file inside ``content_dir``, or a PublishError."""
    # The lexical rule is the build's own (drafts.path_problem); what's left here is
    # where the path really leads once symlinks are followed.
    if path_problem(rel_path) is not None:
        raise PublishError(f"文章路径不合规：{rel_path}")
    root = content_dir.resolve()
    target = (root / rel_path).resolve()
    if not target.is_relative_to(root):
        raise PublishError(f"文章路径不合规：{rel_path}")
    return target


def check_source(content_dir: Path, rel_path: str, text: str, today: dt.date) -> None:
    """Refuse a file the build would refuse: the build's own checks (site_builder's
    one validator, ``drafts.check_draft``) against the rest of the content."""
    errors = check_draft(text, path=rel_path, content_dir=content_dir, today=today)
    if errors:
        detail = "；".join(f"第{e.line}行 {e.field}：{e.message}" for e in errors[:10])
        raise PublishError(f"稿件没有写入网站内容，网站构建会拒绝它：{detail}")


def write_atomically(path: Path, text: str) -> None:
    """Write-then-rename: a build starting meanwhile reads the old file or the new one,
    never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # as a hand-written file: the web server reads it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_revision(content_dir: Path, rel_path: str, front_matter: Mapping[str, Any],
                   body: str, *, today: dt.date) -> Path:
    """Write one revision as ``content_dir/rel_path``, checked as the build of
    ``today`` will check it; the path written."""
    target = content_file(content_dir, rel_path)
    text = render_markdown(front_matter, body)
    check_source(content_dir, rel_path, text, today)
    write_atomically(target, text)
    return target


def file_holds(content_dir: Path, rel_path: str, front_matter: Mapping[str, Any],
               body: str) -> bool:
    """Whether the content file is exactly this revision (a build that starts now
    publishes it)."""
    try:
        target = content_file(content_dir, rel_path)
        return target.read_text(encoding="utf-8") == render_markdown(front_matter, body)
    except (OSError, ValueError, Refused):
        return False


# -- the calendar of going live ---------------------------------------------------

def site_today(now_utc: dt.datetime) -> dt.date:
    """The site's publishing day for a build starting at ``now_utc`` (naive UTC):
    the date in Beijing."""
    return local_date(now_utc)


def go_live_moment(day: dt.date) -> dt.datetime:
    """The first moment ``day`` is today in Beijing (00:00 Asia/Shanghai), as an
    aware datetime: the ETA of the build that puts an article dated ``day`` live."""
    return dt.datetime.combine(day, dt.time(0), TZ)


def go_live_utc(day: dt.date) -> dt.datetime:
    """``go_live_moment`` as naive UTC, the app's clock."""
    return go_live_moment(day).astimezone(dt.UTC).replace(tzinfo=None)


def is_future(day: dt.date, now_utc: dt.datetime) -> bool:
    return day > site_today(now_utc)
