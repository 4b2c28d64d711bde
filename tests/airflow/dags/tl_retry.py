"""A task that fails its first try and is retried, one that fails for good, and tasks never run:
downstream of the failure, of a self-skipping task, and on the branch not taken."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from trackline import tracked_task


@dag(schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False)
def tl_retry():
    @task(retries=1, retry_delay=timedelta(seconds=0))
    @tracked_task
    def flaky(n: int = 7):
        if get_current_context()["ti"].try_number == 1:
            raise ConnectionError("warehouse not reachable on try 1")
        return {"rows": n * 100}

    @task
    @tracked_task
    def doomed(stats):
        raise ValueError(f"refusing {stats['rows']} rows")

    @task.tracked(retries=1, retry_delay=timedelta(seconds=0))
    def flaky_tracked():
        if get_current_context()["ti"].try_number == 1:
            raise TimeoutError("slow on try 1")
        return "ok"

    @task
    def skipper():
        raise AirflowSkipException("nothing new upstream")

    @task
    def notify(_):
        return "never runs: its upstream failed"

    @task
    def after_skip():
        return "never runs: its upstream skipped"

    @task.branch
    def choose():
        return "taken"

    @task
    def taken():
        return "ran"

    @task
    def not_taken():
        return "never runs: the branch went elsewhere"

    notify(doomed(flaky()))
    flaky_tracked()
    skipper() >> after_skip()
    choose() >> [taken(), not_taken()]


retry_dag = tl_retry()
