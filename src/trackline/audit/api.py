"""Reading and checking the audit log through any store that implements the registry interface."""

from __future__ import annotations

from ..model.audit import verify_chain
from ..model.registry import AuditEntry, AuditReport
from ..store import AuditStore, StoreArg, capability

__all__ = ["audit_log", "verify_audit"]


def audit_log(
    model: str | None = None, limit: int | None = None, store: StoreArg = None
) -> list[AuditEntry]:
    """Entries oldest first (``limit`` keeps the newest ones), optionally of one model."""
    return capability(store, AuditStore).audit_entries(model=model, limit=limit)


def verify_audit(store: StoreArg = None, anchor: tuple[int, str] | None = None) -> AuditReport:
    """Check the chain; ``anchor`` is a (seq, hash) head copied elsewhere earlier, which must
    still be in the chain (this catches even a rewrite of the whole chain and its head)."""
    s = capability(store, AuditStore)
    head_seq, head_hash = s.audit_head()
    entries = s.audit_entries()
    report = verify_chain(entries, head_seq, head_hash)
    if anchor is not None:
        seq, digest = anchor
        found = next((e for e in entries if e.seq == seq), None)
        if found is None or found.hash != digest:
            report.problems.append(
                f"anchor {seq}:{digest[:16]} is not in the chain (history rewritten?)"
            )
            report.ok = False
    return report
