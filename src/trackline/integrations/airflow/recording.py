"""The recorder of each running task instance, shared by the listener and tracked operators.

Whichever component sees a task instance first (the listener's ``on_task_instance_running``,
else the tracked operator's ``execute``) opens its recorder; the other joins it, and the opener
closes it. So one try is one recorder and one write, whichever mix of entry points is used.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from ...capture import heartbeat
from ...capture.recorder import RunRecorder
from ...config import settings
from ...model.runs import ErrorInfo, RunStatus, utcnow
from .facts import record_operator_facts
from .identity import task_identity
from .openlineage import openlineage_ids

__all__ = [
    "open_recorder",
    "current",
    "close",
    "discard",
    "failure_status",
    "record_after_the_fact",
    "record_unrun",
    "guarded",
]

log = logging.getLogger("trackline")

_open: dict[str, RunRecorder] = {}


def _callable(task: Any) -> Any:
    return getattr(task, "python_callable", None)


def open_recorder(ti: Any, task: Any) -> tuple[RunRecorder, bool]:
    """The recorder of this try, opening it if nobody has; ``(recorder, opened_here)``."""
    ident = task_identity(ti)
    rec = _open.get(ident["run_id"])
    if rec is not None:
        return rec, False
    # With Airflow's OpenLineage provider emitting, its run id joins ours (one run, one producer).
    ol_ids = guarded("reading the OpenLineage run id", openlineage_ids, ti) or {}
    rec = RunRecorder(
        ident["name"],
        run_id=ident["run_id"],
        pipeline=ident["pipeline"],
        pipeline_run_id=ident["pipeline_run_id"],
        external_ids={**ident["external_ids"], **ol_ids},
        func=_callable(task),
        use_ambient=False,
    )
    rec.start()
    if getattr(ti, "start_date", None):
        rec.started_at = ti.start_date
    record_operator_facts(rec, task)
    rec.announce()
    _open[rec.id] = rec
    return rec, True


def current(ti: Any) -> RunRecorder | None:
    return _open.get(task_identity(ti)["run_id"])


def close(ti: Any, status: str, error: BaseException | ErrorInfo | str | None = None) -> None:
    rec = _open.pop(task_identity(ti)["run_id"], None)
    if rec is not None:
        rec.finish(status, _error_info(error))


def discard(ti: Any) -> None:
    """Forget a try without writing it (the task deferred: it resumes in another process)."""
    rec = _open.pop(task_identity(ti)["run_id"], None)
    if rec is not None:
        heartbeat.unregister(rec)


def guarded(what: str, fn: Any, *args: Any) -> Any:
    """Run adapter code so that its failure never fails the task (unless strict mode)."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001
        if settings().strict:
            raise
        log.warning("trackline: %s failed: %s: %s", what, type(exc).__name__, exc)
        return None


def failure_status(ti: Any, exc: BaseException) -> str:
    """What Airflow will make of this exception: skipped, a retry, or a final failure."""
    name = type(exc).__name__
    if name == "AirflowSkipException":
        return RunStatus.SKIPPED.value
    if name in ("AirflowFailException", "AirflowSensorTimeout"):
        return RunStatus.FAILED.value
    state = str(getattr(getattr(ti, "state", None), "value", getattr(ti, "state", "")) or "")
    if state == "up_for_retry":
        return RunStatus.UP_FOR_RETRY.value
    max_tries = getattr(ti, "max_tries", None)
    if max_tries is not None and int(getattr(ti, "try_number", 0) or 0) <= int(max_tries):
        return RunStatus.UP_FOR_RETRY.value
    return RunStatus.FAILED.value


def record_after_the_fact(
    ti: Any, status: str, error: Any = None, *, airflow_state: str | None = None
) -> None:
    """A task instance we never saw run (its process died; state set from the UI/API).

    Written from Airflow's own timestamps, without resources or environment: the process this
    runs in (scheduler, api-server) is not the one that ran the task.
    """
    ident = task_identity(ti)
    cfg = settings().model_copy(update={"capture_environment": False})
    rec = RunRecorder(
        ident["name"],
        run_id=ident["run_id"],
        pipeline=ident["pipeline"],
        pipeline_run_id=ident["pipeline_run_id"],
        external_ids=ident["external_ids"],
        config=cfg,
        use_ambient=False,
    )
    rec.start()
    ended: datetime | None = getattr(ti, "end_date", None)
    started: datetime | None = getattr(ti, "start_date", None) or ended
    if started is not None:
        rec.started_at = started
        rec.started_mono = time.monotonic() - max((utcnow() - started).total_seconds(), 0.0)
    rec.meter = None
    operator = getattr(ti, "operator", None)
    if operator:
        rec.external_ids["operator"] = str(operator)
    if airflow_state:
        rec.external_ids["state"] = airflow_state
    rec.finish(status, _error_info(error), ended_at=ended)


# Task instances the scheduler settles without running them: no task hook ever fires for these.
_DECIDED_WITHOUT_RUNNING = frozenset({"skipped", "upstream_failed"})


def record_unrun(dag_run: Any) -> int:
    """At the end of a dag run, record the tasks that branching or trigger rules never ran.

    Runs in the scheduler, which may read Airflow's database; it uses the dag run's own session
    so the states the scheduler has just decided are visible. A task that skipped itself was
    already recorded by its own process under the same deterministic id and is left alone.
    """
    from sqlalchemy.orm import object_session

    from ...errors import NotFound
    from ...store import get_store

    session = object_session(dag_run)
    # No savepoint around the read: releasing one counts as a commit to the scheduler's
    # HA-lock guard ("UNEXPECTED COMMIT"), which raises.
    tis = (
        dag_run.get_task_instances(session=session)
        if session is not None
        else dag_run.get_task_instances()
    )
    store, written = get_store(), 0
    for ti in tis:
        state = str(getattr(ti.state, "value", ti.state) or "")
        if state not in _DECIDED_WITHOUT_RUNNING:
            continue
        try:
            store.get_run(task_identity(ti)["run_id"])
            continue
        except NotFound:
            pass
        # Recorded as skipped (it never ran); Airflow's own state says why.
        record_after_the_fact(ti, RunStatus.SKIPPED.value, airflow_state=state)
        written += 1
    return written


def _error_info(error: Any) -> BaseException | ErrorInfo | None:
    if error is None or isinstance(error, (BaseException, ErrorInfo)):
        return error
    return ErrorInfo(type="AirflowError", message=str(error))
