"""A task that fails its first try and is retried, and one that fails for good."""

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

    doomed(flaky())
    flaky_tracked()
    skipper()


retry_dag = tl_retry()
