"""Zero-code task runs: after a tracked flow ends, record every task run Prefect knows of.

Runs a ``@tracked_task`` or trackline's task hooks (``_task_hooks.py``) already recorded share the
same deterministic id, so they only gain their upstream links and final status. Other runs of
undecorated tasks get name, state, times, attempts, upstream links and (when Prefect persisted
it) a result digest; their argument values are not in Prefect's API, which records only where
each input came from.

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
from ...model.runs import TERMINAL, Artifact, ArtifactRef, ErrorInfo, RunStatus, TaskRun
from ...store import RunStore, get_store
from ._ids import flow_run_key, status_of, task_result_digest, task_run_key
from ._prefect_api import plain_time, read_attempts, read_task_runs

__all__ = ["record_task_runs", "task_name"]

log = logging.getLogger("trackline")


class _TaskResult:
    """Stands for "the result of Prefect task run X" where lineage needs a node for it."""

    def __init__(self, task_run_id: Any, task: str) -> None:
        self.task_run_id = str(task_run_id)
        self.task = task

    def artifact(self) -> Artifact:
        return Artifact(
            digest=task_result_digest(self.task_run_id),
            kind="task_result",
            name=f"{self.task} result",
            uri=f"prefect://task-run/{self.task_run_id}",
        )


register_hasher(_TaskResult, _TaskResult.artifact)


def task_name(run: Any) -> str:
    """The task's name: Prefect names runs ``<task>-<dynamic key prefix>`` unless told otherwise."""
    key = str(run.dynamic_key or "")
    for suffix in (f"-{key[:3]}", f"-{key}"):
        if key and run.name.endswith(suffix):
            return run.name[: -len(suffix)]
    # A custom task_run_name: fall back to the function name inside the task key.
    return str(run.task_key).rsplit("-", 1)[0] if run.task_key else run.name


def record_task_runs(
    flow_name: str, flow_run: Any, *, flow_ended: bool = True, timeout: float = 15.0
) -> int:
    """Record the flow run's task runs; returns how many were written."""
    runs = read_task_runs(flow_run.id, timeout=timeout)
    names = {str(r.id): task_name(r) for r in runs}
    written = 0
    for run in runs:
        try:
            _record(run, names, flow_name, flow_run, flow_ended)
            written += 1
        except Exception as exc:  # noqa: BLE001 - one odd run must not lose the others
            if settings().strict:
                raise
            log.warning("trackline: could not record Prefect task run %s: %s", run.id, exc)
    return written


def _existing(store: RunStore, run_id: str) -> TaskRun | None:
    try:
        return store.get_run(run_id)
    except NotFound:
        return None


def _record(
    run: Any, names: Mapping[str, str], flow_name: str, flow_run: Any, flow_ended: bool
) -> None:
    store = get_store()
    attempts = max(int(run.run_count or 0), 1)
    history = read_attempts(run.id) if attempts > 1 else []
    for number, (began, ended, message) in enumerate(history[: attempts - 1], 1):
        if ended is None:
            continue
        run_id = task_run_key(run.id, number)
        known = _existing(store, run_id)
        if known is not None:
            # A hook saw the attempt start but not why it failed: Prefect's message says why.
            error = (
                ErrorInfo(type="prefect.Retrying", message=message or "attempt failed")
                if known.error is None
                else None
            )
            _add_links(
                store,
                known,
                RunStatus.UP_FOR_RETRY.value,
                _external(run, number, flow_run),
                [],
                flow_name,
                error,
            )
            continue
        rec = _recorder(run, number, names, flow_name, flow_run)
        _times(rec, began, (ended - began).total_seconds())
        rec.finish(
            RunStatus.UP_FOR_RETRY.value,
            ErrorInfo(type="prefect.Retrying", message=message or "attempt failed"),
            ended_at=ended,
        )

    status = status_of(run.state_type, flow_ended=flow_ended)
    links = _links(run, names, status)
    known = _existing(store, task_run_key(run.id, attempts))
    if known is not None:
        final = known.status if known.status in TERMINAL else status  # the decorator saw the call
        _add_links(store, known, final, _external(run, attempts, flow_run), links, flow_name)
        return
    rec = _recorder(run, attempts, names, flow_name, flow_run)
    began = plain_time(run.start_time or run.expected_start_time)
    end = plain_time(run.end_time)
    took = run.total_run_time.total_seconds() if run.total_run_time else 0.0
    if len(history) == attempts:  # Prefect's times span all attempts; this is the last one
        began = history[-1][0]
        took = (end - began).total_seconds() if end else 0.0
    _times(rec, began, took)
    for direction, slot, result in links:
        rec.log_artifact(result, name=slot, direction=direction)
    if status == RunStatus.SUCCESS.value:
        _record_persisted_result(rec, run)
    rec.finish(status, _error(run, status), ended_at=end)


def _links(run: Any, names: Mapping[str, str], status: str) -> list[tuple[str, str, _TaskResult]]:
    """Upstream task runs named in ``task_inputs`` as inputs; the run's own result as output."""
    found = []
    for slot, refs in (run.task_inputs or {}).items():
        if slot == "__parents__":  # nesting, not data flow
            continue
        for ref in refs:
            if getattr(ref, "input_type", None) == "task_run":
                found.append(("input", slot, _TaskResult(ref.id, names.get(str(ref.id), "task"))))
    if status == RunStatus.SUCCESS.value:
        found.append(("output", "prefect.result", _TaskResult(run.id, names[str(run.id)])))
    return found


def _external(run: Any, attempt: int, flow_run: Any) -> dict[str, Any]:
    ids = {
        "flow_run_id": str(flow_run.id),
        "task_run_id": str(run.id),
        "run_count": attempt,
        "prefect_task_run_name": run.name,
    }
    if flow_run.deployment_id is not None:
        ids["deployment_id"] = str(flow_run.deployment_id)
    return ids


def _add_links(
    store: Any,
    known: TaskRun,
    status: str,
    external: dict[str, Any],
    links: list[tuple[str, str, _TaskResult]],
    flow_name: str,
    error: ErrorInfo | None = None,
) -> None:
    """Fold Prefect's view into a run the decorator recorded: links, ids and the final status.

    Written as a bare record, not through a recorder, because everything else (times, host, pid,
    resources, environment) was measured where the task ran and must not be overwritten here."""
    arts = [(d, slot, r.artifact()) for d, slot, r in links]
    refs = {
        d: [
            ArtifactRef(name=slot, digest=a.digest, kind=a.kind, uri=a.uri)
            for dd, slot, a in arts
            if dd == d
        ]
        for d in ("input", "output")
    }
    store.write_task_run(
        TaskRun(
            id=known.id,
            name=known.name,
            pipeline=known.pipeline or flow_name,
            pipeline_run_id=known.pipeline_run_id,
            status=status,
            started_at=known.started_at,
            error=error,
            external_ids=external,
            inputs=refs["input"],
            outputs=refs["output"],
            artifacts=[a for _, _, a in arts],
        )
    )


def _recorder(
    run: Any, attempt: int, names: Mapping[str, str], flow_name: str, flow_run: Any
) -> RunRecorder:
    """A recorder for an attempt no decorator saw."""
    rec = RunRecorder(
        names[str(run.id)],
        run_id=task_run_key(run.id, attempt),
        pipeline=flow_name,
        pipeline_run_id=flow_run_key(flow_run.id),
        external_ids=_external(run, attempt, flow_run),
        use_ambient=False,
    )
    rec.start()
    # The attempt happened before this call: its times come from Prefect, and this process's
    # resource usage says nothing about it.
    rec.meter = None
    return rec


def _times(rec: RunRecorder, start: Any, took: float) -> None:
    if start is not None:
        rec.started_at = start
    rec.started_mono = time.monotonic() - max(took, 0.0)


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
