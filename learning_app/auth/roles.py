"""Roles: the one definition of who may do what.

Everything else (the access decorators, the menu, the account command, the
demo) derives from ``ROLES``. A member holds one role; ``rank`` orders them
for the rule that nobody manages an account above their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    rank: int
    admin: bool = False  # organizations, members, trainings, imports, reports of a subtree
    editor: bool = False  # articles and item analysis
    whole_county: bool = False  # the subtree is the whole county, whatever scope_org says
    # the newsroom's setup: review levels and their members, 错敏词, freshness thresholds
    newsroom_admin: bool = False


ROLES: dict[str, Role] = {role.name: role for role in (
    Role("member", "党员", 0),
    Role("editor", "宣传编辑", 1, editor=True),
    Role("org_admin", "组织管理员", 2, admin=True),
    Role("county_admin", "县委组织部管理员", 3, admin=True, editor=True, whole_county=True,
         newsroom_admin=True),
)}
MEMBER = ROLES["member"]
ADMIN_ROLES = tuple(name for name, role in ROLES.items() if role.admin)
EDITOR_ROLES = tuple(name for name, role in ROLES.items() if role.editor)


def role_of(name: str) -> Role:
    """The role called ``name``; an unknown name (a stale row) has no rights."""
    return ROLES.get(name, Role(name, name, -1))


def manage_refusal(actor_id: int, actor_role: str, target_id: int, target_role: str
                   ) -> str | None:
    """Why ``actor`` may not reset, edit, exempt, correct, transfer or override
    ``target``'s account; None when allowed. Nobody acts on their own record, and
    nobody on an account whose role ranks as high as theirs or higher: a branch
    secretary can't reset the county admin whose membership is in her branch."""
    if actor_id == target_id:
        return "不能对自己的记录进行这项操作，请由上级管理员办理"
    if role_of(target_role).rank >= role_of(actor_role).rank:
        return "这名党员的账号权限不低于您，不能由您办理，请联系上级管理员"
    return None
