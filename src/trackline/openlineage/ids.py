"""OpenLineage run ids of trackline runs: UUIDv7, derived, so re-emission gives the same ids.

The 48-bit time field is the run's recorded start (milliseconds), the rest comes from a SHA-256
of the trackline id: the same record always yields the same UUID, and ids still sort by start
time the way UUIDv7 consumers (partitioned stores) expect.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

__all__ = ["run_uuid", "trackline_id_of"]


def run_uuid(trackline_id: str, started_at: datetime | None) -> str:
    when = started_at or datetime(1970, 1, 1, tzinfo=UTC)
    if when.tzinfo is None:  # stores hand back UTC; a naive time is UTC too
        when = when.replace(tzinfo=UTC)
    ms = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    h = hashlib.sha256(b"trackline-openlineage\0" + trackline_id.encode()).digest()
    rand_a = int.from_bytes(h[:2], "big") & 0x0FFF
    rand_b = int.from_bytes(h[2:10], "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def trackline_id_of(run_id: str) -> str:
    """The trackline id of a run known only by its OpenLineage ``runId`` (ingest)."""
    try:
        return uuid.UUID(run_id).hex
    except ValueError:  # not a UUID: still a stable id of that string
        return uuid.uuid5(uuid.NAMESPACE_URL, "openlineage:" + run_id).hex
