"""Roles of API tokens. Each role includes every role before it (admin can do everything)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLES", "Role", "allows", "parse_role"]


class Role(StrEnum):
    READER = "reader"  # queries: runs, artifacts, lineage, audit log
    WRITER = "writer"  # record runs, artifacts, metrics, evaluations
    APPROVER = "approver"  # gate decisions and alias promotion
    ADMIN = "admin"  # tokens, deletions


ROLES: tuple[Role, ...] = (Role.READER, Role.WRITER, Role.APPROVER, Role.ADMIN)
_RANK = {role: i for i, role in enumerate(ROLES)}


def parse_role(value: str) -> Role:
    from ...errors import InvalidInput

    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"unknown role {value!r}: use one of {', '.join(ROLES)}") from None


def allows(role: str, needed: Role) -> bool:
    """Whether a token of ``role`` may do what ``needed`` guards."""
    try:
        return _RANK[Role(role)] >= _RANK[needed]
    except ValueError:
        return False
