"""Dag runs as pipeline runs, opened and closed by the dag-run hooks in the scheduler.

The scheduler is long-lived, so it holds the pipeline run's lease (heartbeats) while the dag
run is running. ``dag.test()`` only fires the closing hook: the run is then written whole,
from the dag run's own start date.
"""

from __future__ import annotations

from typing import Any

from ...capture.pipeline import PipelineRecorder
from .identity import pipeline_run_id
from .openlineage import dag_run_ids

__all__ = ["open_dag_run", "close_dag_run"]

_open: dict[str, PipelineRecorder] = {}


def _recorder(dag_run: Any) -> PipelineRecorder:
    dag_id, run_id = str(dag_run.dag_id), str(dag_run.run_id)
    conf = getattr(dag_run, "conf", None)
    run_type = getattr(dag_run, "run_type", None)
    logical = getattr(dag_run, "logical_date", None)
    external = {
        "orchestrator": "airflow",
        "dag_id": dag_id,
        "run_id": run_id,
        "run_type": str(getattr(run_type, "value", run_type)) if run_type else None,
        "logical_date": logical.isoformat() if logical else None,
        # the OpenLineage provider emits this dag run: its run id, so trackline does not
        **dag_run_ids(dag_run),
    }
    return PipelineRecorder(
        dag_id,
        run_id=pipeline_run_id(dag_id, run_id),
        config=dict(conf) if isinstance(conf, dict) else None,
        external_ids={k: v for k, v in external.items() if v is not None},
    )


def open_dag_run(dag_run: Any) -> None:
    rec = _recorder(dag_run)
    if rec.id in _open:
        return
    rec.start(lease=True, enter_context=False, announce=False)
    if getattr(dag_run, "start_date", None):
        rec.record.started_at = dag_run.start_date
    rec.announce()  # with Airflow's start time: the derived OpenLineage run id depends on it
    _open[rec.id] = rec


def close_dag_run(dag_run: Any, status: str) -> None:
    rec = _recorder(dag_run)
    rec = _open.pop(rec.id, rec)
    if getattr(dag_run, "start_date", None):
        rec.record.started_at = dag_run.start_date
        rec.started_mono = 0.0  # duration from Airflow's start date, not this process's clock
    rec.finish(status)
