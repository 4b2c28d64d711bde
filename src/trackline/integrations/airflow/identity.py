"""Airflow identities → trackline identities, and the ambient provider for ``@tracked_task``.

Ids are deterministic (dag_id, task_id, run_id, try_number, map_index), so the listener, a
tracked operator and a decorated callable describing one try write the same record.
"""

from __future__ import annotations

import sys
from typing import Any

from ...model.ids import deterministic_id

__all__ = ["task_identity", "pipeline_run_id", "ambient", "injected_context"]

# Task runs whose identity a decorated callable already took, so nested tracked helpers called
# from inside the task become child runs instead of merging into the task's record.
_claimed: set[str] = set()


def pipeline_run_id(dag_id: str, run_id: str) -> str:
    return deterministic_id(dag_id, run_id)


def task_identity(ti: Any) -> dict[str, Any]:
    """``RuntimeTaskInstance`` (worker) or ORM ``TaskInstance`` (scheduler) → recorder identity."""
    dag_id, task_id, run_id = str(ti.dag_id), str(ti.task_id), str(ti.run_id)
    try_number = int(getattr(ti, "try_number", None) or 0)
    map_index = getattr(ti, "map_index", None)
    map_index = -1 if map_index is None else int(map_index)
    return {
        "pipeline": dag_id,
        "pipeline_run_id": pipeline_run_id(dag_id, run_id),
        "run_id": deterministic_id(dag_id, task_id, run_id, try_number, map_index),
        "name": task_id,
        "external_ids": {
            "orchestrator": "airflow",
            "dag_id": dag_id,
            "task_id": task_id,
            "run_id": run_id,
            "try_number": try_number,
            "map_index": map_index,
        },
    }


def injected_context(context: Any) -> dict[str, Any]:
    """The values Airflow itself puts into a task's keyword arguments (``ti``, ``ds``, ...)."""
    from airflow.sdk.definitions.context import KNOWN_CONTEXT_KEYS

    return {k: context[k] for k in KNOWN_CONTEXT_KEYS if k in context}


def _current_context() -> Any:
    if "airflow.sdk" not in sys.modules:  # Airflow isn't running this process: stay cheap
        return None
    from airflow.sdk import get_current_context

    try:
        return get_current_context()
    except RuntimeError:  # imported, but not inside a task
        return None


def ambient() -> dict[str, Any] | None:
    """Entry point ``trackline.ambient``: the identity of the Airflow task running this code.

    The task's own callable (decorated with ``@tracked_task``) gets the task run's identity;
    any other tracked call inside the task only inherits its pipeline and pipeline run.
    """
    context = _current_context()
    if not context or context.get("ti") is None:
        return None
    ident = task_identity(context["ti"])
    callable_ = getattr(context.get("task"), "python_callable", None)
    if getattr(callable_, "__trackline_task__", False) and ident["run_id"] not in _claimed:
        _claimed.add(ident["run_id"])
        ident["injected"] = injected_context(context)
        from .openlineage import openlineage_ids  # the provider's run id: one run, one producer

        try:
            ident["external_ids"].update(openlineage_ids(context["ti"]))
        except Exception:  # noqa: BLE001 - an id less, never a failed task
            pass
        return ident
    return {"pipeline": ident["pipeline"], "pipeline_run_id": ident["pipeline_run_id"]}
