"""The server's seam to the audit log: ``ServerAuditLog.record`` is called for every denied
request and every privileged action, with the token's name as actor.

Events go to the same append-only, hash-chained log as the registry's decisions and alias moves
(``trackline.audit``), so ``trackline audit verify`` covers them too. A server event keeps its
outcome, target and detail in the entry's ``data``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ...model.registry import AuditEntry
from ...store.protocols import AuditStore

__all__ = ["AuditEvent", "DenialSampler", "ServerAuditLog"]

log = logging.getLogger("trackline.server.audit")


class AuditEvent(BaseModel):
    """One audit entry as the UI and ``GET /audit`` show it (the chain fields are left out)."""

    seq: int
    at: datetime
    actor: str
    action: str
    model: str | None = None
    version: int | None = None
    target: str | None = None
    outcome: str  # "allowed" or "denied"
    detail: dict[str, Any] | None = None

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEvent:
        data = dict(e.data)
        outcome = data.pop("outcome", None) or ("denied" if e.action in _REFUSALS else "allowed")
        target = data.pop("target", None)
        if target is None and e.model:
            target = e.model if e.version is None else f"{e.model}/{e.version}"
        return cls(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            model=e.model,
            version=e.version,
            target=target,
            outcome=outcome,
            detail=data or None,
        )


# Registry events that record a refusal rather than a change.
_REFUSALS = frozenset({"promotion.refused", "promotion.conflict"})


class DenialSampler:
    """Denied requests are counted, and one chained entry per (actor, route) per ``window``
    seconds carries the count: an anonymous flood adds one row a minute, not one per request.

    Counts live in this process (each server worker samples its own)."""

    def __init__(self, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def admit(self, actor: str, route: str) -> int | None:
        """The number of denials the entry written now stands for, or None: only counted."""
        now, key = time.monotonic(), (actor, route)
        with self._lock:
            start, suppressed = self._seen.get(key, (None, 0))
            if start is not None and now - start < self.window:
                self._seen[key] = (start, suppressed + 1)
                return None
            if len(self._seen) >= self.max_keys:  # bounded memory under many actors
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
                if len(self._seen) >= self.max_keys:
                    self._seen.clear()
            self._seen[key] = (now, 0)
            return suppressed + 1


class ServerAuditLog:
    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self.denials = DenialSampler()

    def record(
        self,
        actor: str,
        action: str,
        *,
        target: str | None = None,
        outcome: str = "allowed",
        detail: dict[str, Any] | None = None,
    ) -> None:
        data = {**(detail or {}), "outcome": outcome, "target": target[:512] if target else None}
        self.store.append_audit(action[:64], actor=actor[:255], data=data)  # the column limits
        log.info("audit %s %s %s %s", outcome, actor, action, target or "")

    def list(
        self,
        *,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        model: str | None = None,
    ) -> list[AuditEvent]:
        """Newest first. Model, actor and action are filtered by the store; the outcome lives in
        ``data`` (no portable index across SQLite and PostgreSQL), so with an outcome filter the
        log is read backwards page by page until ``limit`` events are found."""
        found: list[AuditEvent] = []
        before: int | None = None
        page = limit if outcome is None else max(limit * 4, 500)
        while len(found) < limit:
            entries = self.store.audit_entries(
                model=model, actor=actor, action=action, limit=page, before=before
            )
            for entry in reversed(entries):
                event = AuditEvent.of(entry)
                if outcome is None or event.outcome == outcome:
                    found.append(event)
            if len(entries) < page:
                break
            before = entries[0].seq
        return found[:limit]
