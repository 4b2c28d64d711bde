"""Zero-code task capture: Prefect task hooks that record undecorated tasks where they run.

Prefect's API keeps no argument values, and Prefect has no global task hooks. But its per-task
``on_running`` / ``on_completion`` / ``on_failure`` hooks run in the task's own process, inside
its ``TaskRunContext``, which holds the resolved arguments. So when a tracked flow starts, it
adds trackline's hooks to the tasks its function can reach by name (module globals and closure):
each attempt of those tasks is then recorded like a ``@tracked_task`` call — arguments, result
digest, resources, error — under the same deterministic id the API reader uses, which later
adds Prefect's upstream links. Tasks the flow cannot reach still get the API-only record.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ...capture.recorder import RunRecorder
from ...config import settings
from ...model.runs import ErrorInfo, RunStatus
from ._ids import task_run_key
from .ambient import identity

__all__ = ["install_task_hooks", "quiet_hook_logs", "TaskHook"]

log = logging.getLogger("trackline")

_open: dict[tuple[str, int], RunRecorder] = {}
_lock = threading.Lock()


class _QuietHooks(logging.Filter):
    """Prefect logs two INFO lines per hook call; for hooks on every task that drowns the task's
    own log. Only trackline's success chatter is dropped: a failing hook still logs its error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return (
            record.levelno >= logging.WARNING
            or "hook 'trackline_" not in record.getMessage().lower()
        )


_QUIET = _QuietHooks()


def quiet_hook_logs() -> None:
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logger = logging.getLogger(name)
        if _QUIET not in logger.filters:
            logger.addFilter(_QUIET)


class TaskHook:
    """One trackline task hook. A module-level class, not a closure: the process-pool runner
    pickles each task, hooks included, into the worker that runs it."""

    def __init__(self, event: str) -> None:
        self.event = event
        self.__name__ = f"trackline_task_{event}"

    def __repr__(self) -> str:
        return f"<trackline task {self.event} hook>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TaskHook) and other.event == self.event

    def __hash__(self) -> int:
        return hash((TaskHook, self.event))

    def __call__(self, task: Any, task_run: Any, state: Any) -> None:
        cfg = settings()
        if cfg.disabled or getattr(task.fn, "__trackline_task__", False) or not _in_tracked_flow():
            return  # a decorated task records itself; an untracked flow is left alone
        quiet_hook_logs()  # in a process-pool worker, this is the first trackline code to run
        try:
            if self.event == "on_running":
                _start(task, task_run)
            else:
                _finish(task_run, state)
        except Exception as exc:  # noqa: BLE001 - Prefect would only log it; say what failed
            if cfg.strict:
                raise
            log.warning(
                "trackline: task hook %s failed: %s: %s", self.event, type(exc).__name__, exc
            )


_HOOKS = {
    "on_running": TaskHook("on_running"),
    "on_completion": TaskHook("on_completion"),
    "on_failure": TaskHook("on_failure"),
}


def _in_tracked_flow() -> bool:
    """The hooks stay on a task object; they act only while a tracked flow runs it. A process-pool
    worker may have no flow context: the task was shipped there by a tracked flow."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow is None:
        return True
    return any(getattr(h, "tracks_flow", False) for h in ctx.flow.on_running_hooks or ())


def _start(task: Any, task_run: Any) -> None:
    from prefect.context import TaskRunContext

    attempt = max(int(task_run.run_count or 1), 1)
    key = str(task_run.id)
    with _lock:
        earlier = _open.pop((key, attempt - 1), None)
        if (key, attempt) in _open:
            return
    if earlier is not None:  # Prefect retries without a failure hook: close the failed attempt
        # Its error is left unstated: the flow's end fills in the message Prefect kept for it.
        earlier.finish(RunStatus.UP_FOR_RETRY.value)
    ident = identity()  # the same ids a @tracked_task inside this task would get
    if ident is None or ident["run_id"] != task_run_key(task_run.id, attempt):
        return  # not inside this task run's context: nothing trustworthy to record
    rec = RunRecorder(
        ident["name"],
        run_id=ident["run_id"],
        pipeline=ident["pipeline"],
        pipeline_run_id=ident["pipeline_run_id"],
        external_ids={**ident["external_ids"], "prefect_task_run_name": task_run.name},
        func=task.fn,
        use_ambient=False,
    )
    rec.start()
    rec.record_arguments(dict(TaskRunContext.get().parameters or {}))
    rec.announce()
    with _lock:
        _open[(key, attempt)] = rec


def _finish(task_run: Any, state: Any) -> None:
    attempt = max(int(task_run.run_count or 1), 1)
    with _lock:
        rec = _open.pop((str(task_run.id), attempt), None)
    if rec is None:
        return
    value = state.result(raise_on_failure=False) if state.data is not None else None
    if state.is_completed():
        if not isinstance(value, BaseException):
            rec.record_result(value)
        rec.finish(RunStatus.SUCCESS.value)
    else:
        rec.finish(
            RunStatus.FAILED.value,
            value
            if isinstance(value, BaseException)
            else ErrorInfo(type=f"prefect.{state.name}", message=state.message or "task failed"),
        )


def install_task_hooks(flow: Any) -> int:
    """Add trackline's hooks to the undecorated tasks the flow's function reaches by name."""
    from prefect import Task

    quiet_hook_logs()
    fn = getattr(flow, "fn", None)
    if fn is None:
        return 0
    reachable = list(getattr(fn, "__globals__", {}).values())
    reachable += [
        cell.cell_contents for cell in (getattr(fn, "__closure__", None) or ()) if _filled(cell)
    ]
    added = 0
    for obj in reachable:
        if not isinstance(obj, Task) or getattr(obj.fn, "__trackline_task__", False):
            continue
        for event, hook in _HOOKS.items():
            hooks = getattr(obj, f"{event}_hooks")
            if hook not in hooks:
                hooks.append(hook)
                added += 1
    return added


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
        return True
    except ValueError:
        return False
