"""Every entry point at once, for a run by the real scheduler, api-server and task processes."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Asset, dag, task

from trackline import log_metric, tracked_task
from trackline.airflow import TrackedPythonOperator

REPORT = Asset(name="tl_worker_report", uri="file:///tmp/tl_worker/report.txt")


@tracked_task
def cube_all(values):
    """A tracked helper called inside a task: a child run of the task, not the task's record."""
    return [v**3 for v in values]


def summarize(numbers, **context):
    return {"total": sum(numbers), "count": len(numbers)}


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=0)},
)
def tl_worker():
    @task
    @tracked_task
    def produce(size: int = 5, **context):
        cube_all(list(range(size)))
        return [i * i for i in range(size)]

    @task.tracked(outlets=[REPORT])
    def double(numbers):
        log_metric("n", len(numbers))
        return [2 * x for x in numbers]

    @task.tracked
    def square(x: int):
        return x * x

    numbers = produce()
    doubled = double(numbers)
    summary = TrackedPythonOperator(
        task_id="summarize", python_callable=summarize, op_args=[doubled]
    )

    @task
    def total(summary):  # a plain TaskFlow task: the listener alone records and links it
        return summary["total"]

    total(summary.output)
    square.expand(x=[1, 2, 3])
    report = BashOperator(task_id="report", bash_command="echo done", inlets=[REPORT])
    # Runs only if something failed: the scheduler skips it without starting a task process.
    on_failure = BashOperator(
        task_id="on_failure", bash_command="echo cleanup", trigger_rule="one_failed"
    )
    summary >> report >> on_failure


worker_dag = tl_worker()
