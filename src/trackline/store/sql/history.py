"""How a record for an id the store already has is folded in: history is append-only.

A run that is still ``running`` (or was reaped as ``crashed``) takes the newer record under the
status rule. A *finished* run is immutable: a record that states the same facts again (a retried
request, a replayed spool) changes nothing, an older ``running`` snapshot arriving late only adds
what it adds (metrics, new external ids, an earlier start), and a record that contradicts a
recorded fact is refused with ``Conflict`` (409) — never a silent overwrite of the evidence
lineage gates rely on.

One refinement is not a contradiction: a failed attempt that the orchestrator then retried. The
task's own decorator records ``failed`` (it saw the exception, not the retry policy) and the
orchestrator's hook ``up_for_retry``, in either order; the attempt ends ``up_for_retry`` and keeps
the first error recorded for it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa

from ...errors import Conflict
from ...model.runs import RunStatus
from .dialect import chunks, utc

__all__ = ["Fold", "fold_into", "metric_conflicts"]

_RANK = {RunStatus.RUNNING.value: 0, RunStatus.CRASHED.value: 1}
# The facts of a finished run a re-sent record may not contradict (None in it: "not stated").
_FACTS = (
    "name",
    "pipeline",
    "pipeline_run_id",
    "parent_id",
    "status",
    "code_digest",
    "error_type",
    "error_message",
    "config",
)


class Fold(Enum):
    MERGED = "merged"  # the stored run was still open: the record was merged in
    SAME = "same"  # a finished run stated again: nothing contradicts it
    STALE = "stale"  # an older snapshot of a finished run: only its additions count


_FAILED_ATTEMPT = frozenset({RunStatus.FAILED.value, RunStatus.UP_FOR_RETRY.value})


def _wins(new_status: str, old_status: str) -> bool:
    """A terminal status beats ``crashed`` beats ``running``; equals: the newer record wins."""
    return _RANK.get(new_status, 2) >= _RANK.get(old_status, 2)


def finished(status: str) -> bool:
    return _RANK.get(status, 2) == 2


def _same(key: str, new: Any, old: Any) -> bool:
    if isinstance(new, str) and isinstance(old, str):
        return new == old
    if hasattr(new, "tzinfo") and old is not None:
        return utc(new) == utc(old)
    return new == old


def fold_into(conn: sa.Connection, table: sa.Table, row: dict[str, Any]) -> Fold:
    """Fold ``row`` into the stored row with the same id (locked first on PostgreSQL)."""
    stmt = sa.select(table).where(table.c.id == row["id"])
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    old = dict(conn.execute(stmt).one()._mapping)
    if finished(old["status"]):
        outcome = Fold.STALE if not finished(row["status"]) else Fold.SAME
        retried = {row["status"], old["status"]} <= _FAILED_ATTEMPT
        if outcome is Fold.SAME:
            differs = [
                k
                for k in _FACTS
                if k in row
                and row[k] not in (None, {})
                and old.get(k) not in (None, {})  # not stated before: an addition, not a change
                and not _same(k, row[k], old.get(k))
                and not (retried and k in ("status", "error_type", "error_message"))
            ]
            if differs:
                raise Conflict(
                    f"run {row['id']!r} finished as {old['status']!r}; a finished run cannot be "
                    f"rewritten (this record differs in: {', '.join(differs)})"
                )
        extra = _additions(row, old)
        if retried and row["status"] == RunStatus.UP_FOR_RETRY.value != old["status"]:
            extra["status"] = row["status"]
        if extra:
            conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**extra))
        return outcome
    take_new = _wins(row["status"], old["status"])
    values = {}
    for key, new in row.items():
        if key == "id" or new is None or new == {}:
            continue
        if key in ("external_ids", "config") and isinstance(old.get(key), dict):
            values[key] = {**old[key], **new} if take_new else {**new, **old[key]}
        elif take_new or old.get(key) in (None, {}):
            values[key] = new
    if not take_new:
        values.pop("status", None)
    if values:
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
    return Fold.MERGED


def _additions(row: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """What a record may still add to a finished run: fields it never had, new external ids."""
    extra: dict[str, Any] = {}
    for key, new in row.items():
        if key in ("id", "status", "heartbeat_at") or new is None or new == {}:
            continue
        if key == "started_at" and old.get(key) is not None and utc(new) < utc(old[key]):
            # A late START event (OpenLineage delivers out of order) may move the start earlier,
            # never later; the duration follows. No other recorded fact of a finished run moves.
            extra[key] = new
            if old.get("ended_at") is not None:
                extra["duration_s"] = (utc(old["ended_at"]) - utc(new)).total_seconds()
        elif key == "external_ids" and isinstance(old.get(key), dict):
            added = {k: v for k, v in new.items() if k not in old[key]}
            if added:
                extra[key] = {**old[key], **added}
        elif old.get(key) in (None, {}):
            extra[key] = new
    return extra


def metric_conflicts(conn: sa.Connection, table: sa.Table, run_id: str, metrics: list) -> None:
    """Refuse metrics whose id this run already holds with another key, value or step."""
    ids = [m.id for m in metrics]
    stored = {
        r.id: r
        for part in chunks(ids)
        for r in conn.execute(
            sa.select(table.c.id, table.c.key, table.c.value, table.c.step).where(
                table.c.task_run_id == run_id, table.c.id.in_(part)
            )
        )
    }
    for m in metrics:
        r = stored.get(m.id)
        if r is None:
            continue
        value = None if m.value != m.value else m.value
        if r.key != m.key or r.value != value or r.step != m.step:
            raise Conflict(
                f"metric id {m.id!r} of run {run_id!r} is already recorded as "
                f"{r.key}={r.value} (step {r.step}); a recorded metric is never replaced"
            )
