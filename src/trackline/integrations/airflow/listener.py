"""The listener: records every task instance and dag run when ``[trackline] capture_all_tasks``.

Task-instance hooks run inside the task's own process (a ``RuntimeTaskInstance``); the recorder
opened in ``on_task_instance_running`` measures the whole try, and because it is the current
run, ``trackline.log_metric()`` works inside any task. A failed hook fired by the scheduler (the
task process died) carries an ORM ``TaskInstance`` and is written from Airflow's timestamps.
Dag-run hooks run in the scheduler and open/close the pipeline run. Nothing here may fail a
task: every hook is guarded (Airflow also logs and swallows listener errors).
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl

from ...model.runs import RunStatus
from . import recording
from .facts import is_tracked, record_call
from .pipeline import close_dag_run, open_dag_run
from .settings import capture_all_tasks, record_dag_runs

__all__ = ["TracklineListener", "listener"]

log = logging.getLogger("trackline")


def _state(ti: Any) -> str:
    state = getattr(ti, "state", None)
    return str(getattr(state, "value", state) or "")


def _in_task_process(ti: Any) -> bool:
    return type(ti).__name__ == "RuntimeTaskInstance"


def _running(ti: Any, task: Any) -> None:
    rec, opened = recording.open_recorder(ti, task)
    fn = getattr(task, "python_callable", None)
    if opened and fn is not None and not is_tracked(task):
        # A plain @task / PythonOperator: its arguments are the XCom values it was given.
        record_call(rec, fn, getattr(task, "op_args", ()), getattr(task, "op_kwargs", {}))


def _end(ti: Any, status: str, error: Any = None) -> None:
    rec = recording.current(ti)
    if rec is None:
        recording.record_after_the_fact(ti, status, error)
        return
    task = getattr(ti, "task", None)
    if (
        status == RunStatus.SUCCESS.value
        and getattr(task, "do_xcom_push", False)
        and not is_tracked(task)
    ):
        # The pushed return value: its digest links this task to whoever pulls it.
        recording.guarded("reading the task's XCom", _record_xcom, rec, ti)
    recording.close(ti, status, error)


def _record_xcom(rec: Any, ti: Any) -> None:
    map_index = getattr(ti, "map_index", None)
    value = ti.xcom_pull(
        task_ids=ti.task_id,
        key="return_value",
        map_indexes=-1 if map_index is None else int(map_index),
    )
    rec.record_result(value)


class TracklineListener:
    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        # Only the task's own process measures the try; an ORM TaskInstance means we are elsewhere.
        task = getattr(task_instance, "task", None)
        if task is not None and _in_task_process(task_instance) and capture_all_tasks():
            recording.guarded("listener (running)", _running, task_instance, task)

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        if capture_all_tasks():
            recording.guarded("listener (success)", _end, task_instance, RunStatus.SUCCESS.value)

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        if capture_all_tasks():
            # Airflow fires this hook for a try that will be retried, too.
            status = (
                RunStatus.UP_FOR_RETRY.value
                if _state(task_instance) == "up_for_retry"
                else RunStatus.FAILED.value
            )
            recording.guarded("listener (failed)", _end, task_instance, status, error)

    @hookimpl
    def on_task_instance_skipped(self, previous_state: Any, task_instance: Any) -> None:
        if capture_all_tasks():
            recording.guarded("listener (skipped)", _end, task_instance, RunStatus.SKIPPED.value)

    @hookimpl
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        if record_dag_runs():
            recording.guarded("listener (dag run running)", open_dag_run, dag_run)

    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        if capture_all_tasks():
            recording.guarded("listener (tasks never run)", recording.record_unrun, dag_run)
        if record_dag_runs():
            recording.guarded(
                "listener (dag run success)", close_dag_run, dag_run, RunStatus.SUCCESS.value
            )

    @hookimpl
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        if capture_all_tasks():
            recording.guarded("listener (tasks never run)", recording.record_unrun, dag_run)
        if record_dag_runs():
            recording.guarded(
                "listener (dag run failed)", close_dag_run, dag_run, RunStatus.FAILED.value
            )


listener = TracklineListener()
