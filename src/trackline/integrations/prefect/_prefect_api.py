"""Reading a flow run's task runs from the Prefect API, once the server has caught up.

Prefect 3 reports client-side task states as events that the server records asynchronously, so
the API can lag the flow by a moment: send our pending events, then read until two reads agree.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

__all__ = ["read_task_runs", "read_attempts", "plain_time", "FINAL_TYPES"]

FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
_PAGE = 200


def plain_time(value: Any) -> datetime | None:
    """Prefect hands out Pendulum-flavoured datetimes; records keep standard-library UTC ones."""
    if value is None:
        return None
    return datetime.fromisoformat(value.isoformat()).astimezone(UTC)


def _flush_events(timeout: float) -> None:
    from prefect.context import FlowRunContext
    from prefect.events.worker import EventsWorker

    ctx = FlowRunContext.get()
    worker = ctx.events if ctx is not None and ctx.events is not None else EventsWorker.instance()
    # join() has no timeout of its own; a stuck events worker must not hang the flow.
    waiter = threading.Thread(target=worker.wait_until_empty, daemon=True, name="trackline-flush")
    waiter.start()
    waiter.join(timeout)


def _read_all(client: Any, flow_run_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    found: list[Any] = []
    while True:
        page = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=_PAGE,
            offset=len(found),
        )
        found.extend(page)
        if len(page) < _PAGE:
            return found


def _type(run: Any) -> str:
    st = run.state_type
    return str(getattr(st, "value", st) or "PENDING").upper()


def read_task_runs(
    flow_run_id: Any, *, timeout: float = 15.0, quiet: float = 1.5, poll: float = 0.25
) -> list[Any]:
    """All task runs of the flow run: as soon as all are final and two reads agree, or once
    nothing changed for ``quiet`` seconds (runs that never ran stay pending), or at ``timeout``."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    _flush_events(min(timeout, 10.0))
    last: frozenset | None = None
    changed_at = time.monotonic()
    with get_client(sync_client=True) as client:
        while True:
            runs = _read_all(client, flow_run_id)
            sig = frozenset((str(r.id), _type(r)) for r in runs)
            now = time.monotonic()
            if sig == last:
                if all(t in FINAL_TYPES for _, t in sig) or now - changed_at >= quiet:
                    return runs
            else:
                last, changed_at = sig, now
            if now >= deadline:
                return runs
            time.sleep(poll)


def read_attempts(task_run_id: Any) -> list[tuple[Any, Any, str | None]]:
    """``(started, ended, message)`` of each attempt, from the state history (the last one's
    ``ended`` is None while it has no later state)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        states = sorted(client.read_task_run_states(task_run_id), key=lambda s: s.timestamp)
    attempts: list[tuple[Any, Any, str | None]] = []
    started = None
    for state in states:
        kind = str(getattr(state.type, "value", state.type)).upper()
        if kind == "RUNNING":
            started = plain_time(state.timestamp)
        elif started is not None:
            attempts.append((started, plain_time(state.timestamp), state.message))
            started = None
    if started is not None:
        attempts.append((started, None, None))
    return attempts
