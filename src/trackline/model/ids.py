"""Record ids: random for new records, name-based for orchestrator identities."""

from __future__ import annotations

import uuid

__all__ = ["new_id", "deterministic_id"]


def new_id() -> str:
    return uuid.uuid4().hex


def deterministic_id(*parts: object) -> str:
    """Stable id from orchestrator identities, so two recorders of one task run agree."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "trackline:" + "/".join(map(str, parts))).hex
