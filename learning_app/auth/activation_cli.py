"""``flask --app learning_app issue-activation``: activation codes from the command line,
for a first roll-out or an organization whose admin can't sign in yet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
from flask import current_app, render_template
from sqlalchemy import select

from learning_app.auth.access import members_in_scope
from learning_app.auth.activation import MAX_NOTICES, activation_days, issue
from learning_app.extensions import db
from learning_app.models import Member, Organization
from learning_app.models.types import utcnow

STYLESHEET = re.compile(r'<link rel="stylesheet" href="[^"]*/app/static/([a-z]+\.css)">')


def _inline_stylesheets(html: str) -> str:
    """A file opened from disk has no server to fetch the CSS from: embed it."""
    static = Path(current_app.static_folder or "")
    return STYLESHEET.sub(lambda m: "<style>\n" + (static / m.group(1)).read_text(
        encoding="utf-8") + "</style>", html)


@click.command("issue-activation")
@click.option("--org", "org_code", required=True, help="organization code; its subtree counts")
@click.option("--all-without-password", is_flag=True,
              help="every active member of the subtree who has no password yet")
@click.option("--member", "member_codes", multiple=True,
              help="a member code (repeatable): a new code for this member, e.g. on request")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the printable 开通通知单 to this file (readable by you only)")
@click.option("--url", "portal", default="http://localhost",
              help="the portal's address as members type it, e.g. https://dj.example.cn")
def issue_activation_command(org_code: str, all_without_password: bool,
                             member_codes: tuple[str, ...], html_path: Path | None,
                             portal: str) -> None:
    """Issue one-time activation codes and print them (they are stored hashed:
    this output is the only copy)."""
    org = db.session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise click.ClickException(f"no organization with code {org_code}")
    if not all_without_password and not member_codes:
        raise click.UsageError("give --all-without-password or --member CODE")
    query = members_in_scope(org).where(Member.status == "active")
    if member_codes:
        members = list(db.session.scalars(query.where(Member.code.in_(member_codes))))
        missing = set(member_codes) - {m.code for m in members}
        if missing:
            raise click.ClickException(
                f"not active members of {org_code}: {', '.join(sorted(missing))}")
    else:
        members = []
    if all_without_password:
        known = {m.id for m in members}
        members += [m for m in db.session.scalars(query.where(Member.password_hash.is_(None))
                                                  .order_by(Member.org_id, Member.code))
                    if m.id not in known]
    if not members:
        click.echo("nobody to issue a code for")
        return
    if len(members) > MAX_NOTICES * 50:
        raise click.ClickException("too many members at once: issue per township or branch")
    notices = issue(db.session, members, by=None, now=utcnow())
    click.echo("党员编号\t姓名\t组织\t开通码\t有效期至（北京时间）")
    for notice in notices:
        click.echo(f"{notice.member_code}\t{notice.name}\t{notice.org_name}\t{notice.code}\t"
                   f"{notice.expires}")
    if html_path is not None:
        base = portal.rstrip("/")
        with current_app.test_request_context("/app/activate", base_url=base):
            html = render_template("admin/activation_notices.html", notices=notices,
                                   title=f"{org.name} 开通通知单", portal=base + "/app/activate",
                                   reset=False, days=activation_days(), standalone=True)
        html = _inline_stylesheets(html)
        # Owner-only from the first byte: the file holds live codes.
        fd = os.open(html_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
        click.echo(f"notices written to {html_path}")
    click.echo(f"{len(notices)} codes issued for {org.name}", err=True)
