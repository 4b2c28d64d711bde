"""The append-only, hash-chained audit log of decisions, promotions and alias moves."""

from ..model.audit import GENESIS, entry_hash, verify_chain
from .actor import current_actor
from .api import audit_log, verify_audit

__all__ = ["current_actor", "audit_log", "verify_audit", "GENESIS", "entry_hash", "verify_chain"]
