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


ROLES: dict[str, Role] = {role.name: role for role in (
    Role("member", "党员", 0),
    Role("editor", "宣传编辑", 1, editor=True),
    Role("org_admin", "组织管理员", 2, admin=True),
    Role("county_admin", "县委组织部管理员", 3, admin=True, editor=True, whole_county=True),
)}
MEMBER = ROLES["member"]
ADMIN_ROLES = tuple(name for name, role in ROLES.items() if role.admin)
EDITOR_ROLES = tuple(name for name, role in ROLES.items() if role.editor)


def role_of(name: str) -> Role:
    """The role called ``name``; an unknown name (a stale row) has no rights."""
    return ROLES.get(name, Role(name, name, -1))
