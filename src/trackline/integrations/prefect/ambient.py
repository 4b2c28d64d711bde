"""Prefect identities for task runs, found from Prefect's run context (entry point
``trackline.ambient``).

This module is loaded by every ``RunRecorder`` in every environment, so it must stay cheap and
must not import Prefect: it only looks when Prefect is already imported.
"""

from __future__ import annotations

import sys
from typing import Any

from ...capture.context import RUN
from ._ids import flow_run_key, task_run_key

__all__ = ["identity"]


def identity() -> dict[str, Any] | None:
    """The identity of the Prefect task run executing this code, else ``None``."""
    if "prefect.context" not in sys.modules:
        return None
    from prefect.context import FlowRunContext, TaskRunContext

    ctx = TaskRunContext.get()
    if ctx is None or ctx.task_run is None:
        return None
    task_run = ctx.task_run
    run_id = task_run_key(task_run.id, task_run.run_count)
    current = RUN.get()
    if current is not None and current.id == run_id:
        return None  # a tracked helper called inside the task is its own (child) run
    flow_ctx = FlowRunContext.get()
    flow_run = flow_ctx.flow_run if flow_ctx is not None else None
    external: dict[str, Any] = {"task_run_id": str(task_run.id), "run_count": task_run.run_count}
    if task_run.flow_run_id is not None:
        external["flow_run_id"] = str(task_run.flow_run_id)
    if flow_run is not None and flow_run.deployment_id is not None:
        external["deployment_id"] = str(flow_run.deployment_id)
    return {
        "pipeline": flow_ctx.flow.name
        if flow_ctx is not None and flow_ctx.flow is not None
        else None,
        "pipeline_run_id": flow_run_key(task_run.flow_run_id),
        "run_id": run_id,
        "name": ctx.task.name,
        "external_ids": external,
    }
