"""The hash chain of the audit log: each entry's hash covers its content and the previous hash.

Editing any stored field changes that entry's hash; deleting an entry leaves a gap in the
sequence or a ``prev_hash`` that no longer matches; deleting the newest entries is caught by the
chain head, which the store updates in the same transaction as every append.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .canonical import canonical_json
from .registry import AuditEntry, AuditReport

__all__ = ["GENESIS", "entry_hash", "canonical_time", "verify_chain"]

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """One spelling of a timestamp, whatever the database hands back (naive or aware)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    model: str | None,
    version: int | None,
    data: dict[str, Any],
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": canonical_time(at),
            "actor": actor,
            "action": action,
            "model": model,
            "version": version,
            "data": data,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def verify_chain(entries: Iterable[AuditEntry], head_seq: int, head_hash: str) -> AuditReport:
    """Walk the whole log in sequence order and report every break, not just the first."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            problems.append(
                f"entries {expected_seq}..{e.seq - 1} are missing (deleted?)"
                if e.seq > expected_seq
                else f"entry {e.seq} is out of order"
            )
        if e.prev_hash != prev:
            problems.append(
                f"entry {e.seq}: prev_hash does not match the hash of the entry before it"
            )
        recomputed = entry_hash(
            e.prev_hash, e.seq, e.at, e.actor, e.action, e.model, e.version, e.data
        )
        if recomputed != e.hash:
            problems.append(
                f"entry {e.seq} ({e.action}): content does not match its hash (edited?)"
            )
        prev, expected_seq = e.hash, e.seq + 1
    last_seq = expected_seq - 1
    if last_seq != head_seq:
        problems.append(
            f"the chain head says {head_seq} entries but the log ends at {last_seq} "
            "(entries deleted from the end?)"
            if head_seq > last_seq
            else f"the log has entries after the recorded head {head_seq}"
        )
    elif prev != head_hash:
        problems.append("the last entry's hash does not match the recorded chain head")
    return AuditReport(
        ok=not problems, entries=count, head_seq=head_seq, head_hash=head_hash, problems=problems
    )
