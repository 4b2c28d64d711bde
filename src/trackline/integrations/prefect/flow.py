"""Flow-level tracking: hooks that open a pipeline run when a flow starts and close it when it ends.

Prefect runs flow hooks client-side, in the flow's own process: ``on_running`` opens the pipeline
run (with a lease kept by trackline's heartbeat thread, so a SIGKILLed flow is reaped as
``crashed``) and gives the flow's undecorated tasks trackline's task hooks; the terminal hooks
close it and then record the flow's task runs from the API.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ...capture.pipeline import PipelineRecorder
from ...config import settings
from ...model.runs import RunStatus
from ._ids import flow_run_key
from ._task_hooks import install_task_hooks
from ._tasks import record_task_runs

__all__ = ["flow_hooks", "tracked_flow", "HOOK_NAMES"]

log = logging.getLogger("trackline")

HOOK_NAMES = ("on_running", "on_completion", "on_failure", "on_crashed", "on_cancellation")
_END_STATUS = {
    "on_completion": RunStatus.SUCCESS.value,
    "on_failure": RunStatus.FAILED.value,
    "on_crashed": RunStatus.CRASHED.value,
    "on_cancellation": RunStatus.CANCELLED.value,
}

_open: dict[str, PipelineRecorder] = {}
_lock = threading.Lock()


def _external_ids(flow_run: Any) -> dict[str, Any]:
    ids = {"flow_run_id": str(flow_run.id), "flow_run_name": flow_run.name}
    if flow_run.deployment_id is not None:
        ids["deployment_id"] = str(flow_run.deployment_id)
    return ids


def _recorder(flow: Any, flow_run: Any) -> PipelineRecorder:
    return PipelineRecorder(
        flow.name,
        run_id=flow_run_key(flow_run.id),
        config=dict(flow_run.parameters or {}),
        external_ids=_external_ids(flow_run),
    )


def _guard(what: str, fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - Prefect would only log it; say what failed
        if settings().strict:
            raise
        log.warning("trackline: %s failed: %s: %s", what, type(exc).__name__, exc)


class _Hook:
    """One trackline flow hook. A module-level class, not a closure: Prefect's process-pool
    runner pickles the flow (hooks included) into every task it ships to a worker."""

    tracks_flow = True  # what task hooks look for to tell a tracked flow from an untracked one

    def __init__(self, event: str, record_tasks: bool, settle_timeout: float) -> None:
        self.event = event
        self.record_tasks = record_tasks
        self.settle_timeout = settle_timeout
        self.__name__ = f"trackline_{event}"

    def __repr__(self) -> str:
        return f"<trackline {self.event} hook>"

    def __call__(self, flow: Any, flow_run: Any, state: Any) -> None:
        if settings().disabled:
            return
        if self.event == "on_running":
            _guard("opening the pipeline run", lambda: _open_run(flow, flow_run))
            if self.record_tasks:
                _guard("adding task hooks", lambda: install_task_hooks(flow))
            return
        with _lock:
            rec = _open.pop(str(flow_run.id), None)
        _guard(
            "closing the pipeline run",
            lambda: _close_run(rec, flow, flow_run, _END_STATUS[self.event]),
        )
        if self.record_tasks:
            _guard(
                "recording the flow's task runs",
                lambda: record_task_runs(flow.name, flow_run, timeout=self.settle_timeout),
            )


def _open_run(flow: Any, flow_run: Any) -> None:
    with _lock:
        if str(flow_run.id) in _open:  # a flow retry re-enters Running: same pipeline run
            return
        _open[str(flow_run.id)] = _recorder(flow, flow_run).start(lease=True, enter_context=False)


def _close_run(rec: PipelineRecorder | None, flow: Any, flow_run: Any, status: str) -> None:
    if rec is None:  # ended in a process that never saw it start
        rec = _recorder(flow, flow_run).start(lease=False, enter_context=False)
    rec.finish(status)


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if callable(value):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return list(value)
    raise TypeError(f"{name} must be a list of hooks, got {type(value).__name__}")


def flow_hooks(
    *, record_tasks: bool = True, settle_timeout: float = 15.0, **user_hooks: Any
) -> dict[str, list[Callable[..., Any]]]:
    """Keyword arguments for ``@flow`` that track the flow: ``@flow(**flow_hooks())``.

    Pass your own hooks through to keep them (``flow_hooks(on_failure=[alert])``): yours run
    after trackline's, so the record is closed before an alert links to it. ``record_tasks=False``
    skips recording undecorated task runs from the API; ``settle_timeout`` bounds the wait for
    the Prefect API to show the flow's final task states.
    """
    unknown = set(user_hooks) - set(HOOK_NAMES)
    if unknown:
        raise TypeError(
            f"flow_hooks() got unexpected argument(s) {sorted(unknown)}; "
            f"hooks are {', '.join(HOOK_NAMES)}"
        )
    if settle_timeout < 0:
        raise ValueError("settle_timeout must be >= 0")
    return {
        name: [_Hook(name, record_tasks, settle_timeout), *_as_list(user_hooks.get(name), name)]
        for name in HOOK_NAMES
    }


def tracked_flow(
    __fn: Callable[..., Any] | None = None,
    /,
    *,
    record_tasks: bool = True,
    settle_timeout: float = 15.0,
    **flow_kwargs: Any,
) -> Any:
    """``@flow`` with tracking: same arguments as Prefect's ``@flow``, bare or called.

    The flow's own ``on_*`` hooks are kept and run after trackline's.
    """
    from prefect import flow

    hooks = flow_hooks(
        record_tasks=record_tasks,
        settle_timeout=settle_timeout,
        **{k: flow_kwargs.pop(k) for k in HOOK_NAMES if k in flow_kwargs},
    )
    if __fn is None:
        return functools.partial(_decorate, flow=flow, kwargs={**flow_kwargs, **hooks})
    return _decorate(__fn, flow=flow, kwargs={**flow_kwargs, **hooks})


def _decorate(fn: Callable[..., Any], *, flow: Any, kwargs: dict[str, Any]) -> Any:
    if not callable(fn):
        raise TypeError(f"@tracked_flow decorates functions, got {type(fn).__name__}")
    if hasattr(fn, "fn") and type(fn).__name__ == "Flow":
        raise TypeError(
            "@tracked_flow replaces @flow; don't stack the two (or use @flow(**flow_hooks()))"
        )
    return flow(fn, **kwargs) if kwargs else flow(fn)
