"""Reading and checking the audit log through any store that implements the registry interface."""

from __future__ import annotations

from ..registry.records import AuditEntry, AuditReport
from ..registry.store import registry_store
from .chain import verify_chain

__all__ = ["audit_log", "verify_audit"]


def audit_log(model: str | None = None, limit: int | None = None, store=None) -> list[AuditEntry]:
    """Entries oldest first (``limit`` keeps the newest ones), optionally of one model."""
    return registry_store(store).audit_entries(model=model, limit=limit)


def verify_audit(store=None) -> AuditReport:
    s = registry_store(store)
    head_seq, head_hash = s.audit_head()
    return verify_chain(s.audit_entries(), head_seq, head_hash)
