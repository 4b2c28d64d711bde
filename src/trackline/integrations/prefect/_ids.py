"""How Prefect identities map onto trackline ids (shared by the ambient provider and the hooks)."""

from __future__ import annotations

from typing import Any

from ...model.canonical import sha256_bytes
from ...model.ids import deterministic_id
from ...model.runs import RunStatus

__all__ = ["flow_run_key", "task_run_key", "task_result_digest", "status_of"]


def flow_run_key(flow_run_id: Any) -> str | None:
    """A pipeline run's id is the Prefect flow run id itself, as Prefect prints it."""
    return None if flow_run_id is None else str(flow_run_id)


def task_run_key(task_run_id: Any, run_count: int) -> str:
    """One trackline task run per attempt of a Prefect task run, whoever records it.

    Prefect keeps one task run id across retries and counts attempts in ``run_count`` (1-based),
    like Airflow's try number: each attempt is its own record, earlier ones ``up_for_retry``."""
    return deterministic_id("prefect", "task_run", task_run_id, max(int(run_count or 1), 1))


def task_result_digest(task_run_id: Any) -> str:
    """Digest of the synthetic "result of task run X" artifact that links upstream to downstream.

    Derived from the upstream task run id, so the edge exists even when the value itself cannot
    be hashed (a model object, a connection) or was never seen by trackline."""
    return sha256_bytes(f"prefect-task-result\0{task_run_id}".encode())


_FINAL = {
    "COMPLETED": RunStatus.SUCCESS.value,
    "FAILED": RunStatus.FAILED.value,
    "CRASHED": RunStatus.CRASHED.value,
    "CANCELLED": RunStatus.CANCELLED.value,
    "CANCELLING": RunStatus.CANCELLED.value,
}


def status_of(state_type: Any, *, flow_ended: bool) -> str:
    """trackline status of a Prefect state type; once the flow is over, nothing is still running."""
    name = getattr(state_type, "value", state_type)
    name = str(name).upper() if name is not None else "PENDING"
    if name in _FINAL:
        return _FINAL[name]
    if not flow_ended:
        return RunStatus.RUNNING.value
    # A run caught mid-flight when its flow ended will never finish; one that never started was
    # skipped.
    return RunStatus.CRASHED.value if name == "RUNNING" else RunStatus.SKIPPED.value
