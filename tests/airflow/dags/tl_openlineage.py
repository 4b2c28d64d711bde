"""An SQL step whose lineage comes from Airflow's OpenLineage provider, then a tracked Python
step that reads the table it built: one connected lineage graph in trackline."""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import dag, task

import trackline

CONN = "tl_ol_pg"


@dag(schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False)
def tl_openlineage():
    build = SQLExecuteQueryOperator(
        task_id="build_training",
        conn_id=CONN,
        sql="CREATE TABLE IF NOT EXISTS training AS"
        " SELECT g AS x, g % 2 AS y FROM generate_series(1, 20) AS g",
    )

    @task
    @trackline.tracked_task
    def train():
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from trackline.integrations.airflow.openlineage import table_uri

        hook = PostgresHook(postgres_conn_id=CONN)
        rows = hook.get_records("SELECT x, y FROM training ORDER BY x")
        # The table by the name the OpenLineage provider gave it: the lineage joins there.
        trackline.log_artifact(table_uri(hook, "training"), direction="input", kind="table")
        trackline.log_metric("rows", len(rows))
        return {"weights": [sum(x for x, _ in rows) / len(rows)]}

    build >> train()


ol_dag = tl_openlineage()
