"""Zero-code task runs: after a tracked flow ends, record every task run Prefect knows of.

Runs of undecorated ``@task`` functions get name, state, times, the flow parameters they were
given, upstream links and (when Prefect persisted it) a result digest. Runs a ``@tracked_task``
already recorded share the same deterministic id, so they only gain their upstream links.
Prefect's ``task_inputs`` name each upstream task run, so every link is written as a synthetic
"task_result" artifact: an output of the upstream run and an input of the downstream one. That
holds for values trackline could never hash.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from ...capture.artifacts import register_hasher
from ...capture.recorder import RunRecorder
from ...config import settings
from ...errors import NotFound
from ...records import TERMINAL, Artifact, ErrorInfo, RunStatus
from ...store import get_store
from ._ids import flow_run_key, status_of, task_result_digest, task_run_key
from ._prefect_api import read_attempts, read_task_runs

__all__ = ["record_task_runs", "task_name"]

log = logging.getLogger("trackline")


class _TaskResult:
    """Stands for "the result of Prefect task run X" where lineage needs a node for it."""

    def __init__(self, task_run_id: Any, task: str) -> None:
        self.task_run_id = str(task_run_id)
        self.task = task


register_hasher(_TaskResult, lambda r: Artifact(
    digest=task_result_digest(r.task_run_id), kind="task_result", name=f"{r.task} result",
    uri=f"prefect://task-run/{r.task_run_id}"))


def task_name(run: Any) -> str:
    """The task's name: Prefect names runs ``<task>-<dynamic key prefix>`` unless told otherwise."""
    key = str(run.dynamic_key or "")
    for suffix in (f"-{key[:3]}", f"-{key}"):
        if key and run.name.endswith(suffix):
            return run.name[: -len(suffix)]
    # A custom task_run_name: fall back to the function name inside the task key.
    return str(run.task_key).rsplit("-", 1)[0] if run.task_key else run.name


def record_task_runs(flow_name: str, flow_run: Any, *, flow_ended: bool = True,
                     timeout: float = 15.0) -> int:
    """Record the flow run's task runs; returns how many were written."""
    runs = read_task_runs(flow_run.id, timeout=timeout)
    names = {str(r.id): task_name(r) for r in runs}
    params = dict(flow_run.parameters or {})
    written = 0
    for run in runs:
        try:
            _record(run, names, flow_name, flow_run, params, flow_ended)
            written += 1
        except Exception as exc:  # noqa: BLE001 - one odd run must not lose the others
            if settings().strict:
                raise
            log.warning("trackline: could not record Prefect task run %s: %s", run.id, exc)
    return written


def _existing(store: Any, run_id: str) -> Any:
    try:
        return store.get_run(run_id)
    except NotFound:
        return None


def _record(run: Any, names: Mapping[str, str], flow_name: str, flow_run: Any,
            flow_params: Mapping[str, Any], flow_ended: bool) -> None:
    attempts = max(int(run.run_count or 0), 1)
    history = read_attempts(run.id) if attempts > 1 else []
    if history:
        for number, (began, ended, message) in enumerate(history[: attempts - 1], 1):
            if ended is None:
                continue
            rec, known = _open(run, number, names, flow_name, flow_run)
            _times(rec, known, began, ended, (ended - began).total_seconds())
            error = ErrorInfo(type="prefect.Retrying", message=message or "attempt failed") if not known else None
            rec.finish(RunStatus.UP_FOR_RETRY.value, error, ended_at=rec_end(known, ended))
    rec, known = _open(run, attempts, names, flow_name, flow_run)
    status = status_of(run.state_type, flow_ended=flow_ended)
    if known is not None and known.status in TERMINAL:
        status = known.status  # the decorator saw the call itself
    began = run.start_time or run.expected_start_time
    took = run.total_run_time.total_seconds() if run.total_run_time else 0.0
    if len(history) == attempts:  # Prefect's times span all attempts; this is the last one
        began = history[-1][0]
        took = (run.end_time - began).total_seconds() if run.end_time else 0.0
    _times(rec, known, began, run.end_time, took)
    for slot, refs in (run.task_inputs or {}).items():
        if slot == "__parents__":
            continue
        for ref in refs:
            kind = getattr(ref, "input_type", None)
            if kind == "task_run":
                upstream = str(ref.id)
                rec.log_artifact(_TaskResult(upstream, names.get(upstream, "task")), name=slot,
                                 direction="input")
            elif kind == "parameter" and known is None and ref.name in flow_params:
                rec.record_arguments({slot: flow_params[ref.name]})
    if status == RunStatus.SUCCESS.value:
        rec.log_artifact(_TaskResult(run.id, names[str(run.id)]), name="prefect.result")
        if known is None:
            _record_persisted_result(rec, run)
    rec.finish(status, _error(run, status) if known is None else None, ended_at=rec_end(known, run.end_time))


def _open(run: Any, attempt: int, names: Mapping[str, str], flow_name: str,
          flow_run: Any) -> tuple[RunRecorder, Any]:
    """A recorder for one attempt, and what the decorator already recorded of it (or None)."""
    cfg = settings()
    store = get_store(cfg)
    run_id = task_run_key(run.id, attempt)
    known = _existing(store, run_id)
    external = {"flow_run_id": str(flow_run.id), "task_run_id": str(run.id), "run_count": attempt,
                "prefect_task_run_name": run.name}
    if flow_run.deployment_id is not None:
        external["deployment_id"] = str(flow_run.deployment_id)
    rec = RunRecorder(known.name if known else names[str(run.id)], run_id=run_id, pipeline=flow_name,
                      pipeline_run_id=flow_run_key(flow_run.id), external_ids=external, store=store,
                      config=cfg.model_copy(update={"capture_environment": known is None}),
                      use_ambient=False)
    rec.start()
    # The attempt happened before this call (maybe in another process): its times come from
    # Prefect, and this process's resource usage says nothing about it.
    rec.meter = None
    return rec, known


def _times(rec: RunRecorder, known: Any, start: Any, end: Any, took: float) -> None:
    """Times the decorator measured win over Prefect's (it saw the call itself)."""
    began = (known.started_at if known else None) or start
    if began is not None:
        rec.started_at = began
    if known is not None and known.duration_s is not None:
        took = known.duration_s
    rec.started_mono = time.monotonic() - max(took, 0.0)


def rec_end(known: Any, end: Any) -> Any:
    return (known.ended_at if known else None) or end


def _record_persisted_result(rec: RunRecorder, run: Any) -> None:
    """A result Prefect persisted can be read back and hashed; in-memory ones are gone by now."""
    state = run.state
    data = getattr(state, "data", None)
    if state is None or data is None or type(data).__name__ != "ResultRecordMetadata":
        return
    try:
        value = state.result(raise_on_failure=False)
    except Exception as exc:  # noqa: BLE001 - storage may be unreachable from this process
        log.debug("trackline: result of task run %s not readable: %s", run.id, exc)
        return
    if not isinstance(value, BaseException):
        rec.record_result(value)


def _error(run: Any, status: str) -> ErrorInfo | None:
    if status not in (RunStatus.FAILED.value, RunStatus.CRASHED.value):
        return None
    state = run.state
    name = getattr(state, "name", None) or status
    message = getattr(state, "message", None) or f"Prefect task run ended {name}"
    return ErrorInfo(type=f"prefect.{name}", message=message)
