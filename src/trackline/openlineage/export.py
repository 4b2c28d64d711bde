"""Backfill: emit the recorded history (``trackline export openlineage [--since] [--run]``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model.runs import RunQuery
from ..store import RunStore
from .emitter import emit_events, events_for

__all__ = ["ExportResult", "export_history"]


@dataclass
class ExportResult:
    runs: int = 0
    events: int = 0
    skipped: int = 0  # runs another OpenLineage producer emits
    errors: list[str] = field(default_factory=list)


def export_history(
    store: RunStore,
    client: Any,
    *,
    namespace: str,
    since: datetime | None = None,
    run: str | None = None,
    limit: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Emit the events of one run (``run``: a task or pipeline run id) or of every pipeline and
    task run started at or after ``since`` (all when ``None``), oldest first. Ids are derived,
    so exporting twice sends the same events again (consumers dedupe them)."""
    result = ExportResult()
    if run is not None:
        targets = [_resolve(store, run)]
    else:
        pipes = [
            ("pipeline_run", p.id, p.started_at)
            for p in store.list_pipeline_runs(limit=limit)
            if since is None or p.started_at >= since
        ]
        tasks = [
            ("task_run", r.id, r.started_at)
            for r in store.list_runs(RunQuery(since=since, limit=limit, order="oldest"))
        ]
        targets = [(k, i) for k, i, _ in sorted(pipes + tasks, key=lambda t: t[2])]
    for kind, run_id in targets:
        try:
            events = events_for(store, kind, run_id, namespace)
            if not events:
                result.skipped += 1
                continue
            result.events += emit_events(client, events)
            result.runs += 1
        except Exception as exc:  # noqa: BLE001 - one bad run must not stop a backfill
            result.errors.append(f"{kind} {run_id}: {type(exc).__name__}: {exc}")
        if progress is not None:
            progress(result.runs)
    return result


def _resolve(store: RunStore, ref: str) -> tuple[str, str]:
    from ..errors import NotFound

    try:
        return "task_run", store.get_run(ref).id
    except NotFound:
        try:
            return "pipeline_run", store.get_pipeline_run(ref).id
        except NotFound:
            raise NotFound(f"no task run or pipeline run {ref!r}") from None
