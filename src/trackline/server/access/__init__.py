"""Access control of the team server: roles, hashed API tokens and the audit seam.

Nothing in here imports FastAPI, so ``trackline tokens`` works without the ``server`` extra.
"""

from .audit import AuditEvent, ServerAuditLog
from .roles import ROLES, Role, allows
from .tokens import Principal, TokenInfo, TokenStore

__all__ = [
    "ROLES",
    "AuditEvent",
    "Principal",
    "Role",
    "ServerAuditLog",
    "TokenInfo",
    "TokenStore",
    "allows",
]
