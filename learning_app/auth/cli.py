"""``flask --app learning_app set-account``: a password and role, e.g. the first county admin."""

from __future__ import annotations

import click
from sqlalchemy import select

from learning_app.audit.service import record
from learning_app.auth.passwords import hash_password
from learning_app.auth.roles import ROLES
from learning_app.extensions import db
from learning_app.models import Member, Organization


def _scope_label(org: Organization | None) -> str | None:
    return f"{org.name}（{org.code}）" if org is not None else None


@click.command("set-account")
@click.argument("code")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(list(ROLES)), default=None)
@click.option("--scope", "scope_code", default=None, help="organization code an admin manages")
def set_account_command(code: str, password: str, role: str | None,
                        scope_code: str | None) -> None:
    """Set a member's password (and role); e.g. the first county admin."""
    member = db.session.scalar(select(Member).where(Member.code == code))
    if member is None:
        raise click.ClickException(f"no member with code {code}")
    before = {"role": member.role, "scope": _scope_label(member.scope_org)}
    member.password_hash = hash_password(password)
    member.must_change_password = False
    member.auth_version += 1
    record(db.session, "password_changed", target=member, detail="在命令行设置账号密码")
    if role:
        member.role = role
    if scope_code:
        org = db.session.scalar(select(Organization).where(Organization.code == scope_code))
        if org is None:
            raise click.ClickException(f"no organization with code {scope_code}")
        member.scope_org_id = org.id
        member.scope_org = org
    after = {"role": member.role, "scope": _scope_label(member.scope_org)}
    if after != before:
        record(db.session, "role_changed", target=member, before=before, after=after,
               detail="在命令行设置账号")
    db.session.commit()
    click.echo(f"{member.code} {member.name}: password set, role {member.role}")
