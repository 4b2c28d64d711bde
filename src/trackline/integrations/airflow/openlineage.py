"""Airflow's OpenLineage provider and trackline: one run, one producer.

With ``apache-airflow-providers-openlineage`` installed and configured, the provider emits the
events of every task instance (and extracts the datasets of SQL, S3, BigQuery, Spark, dbt
operators). trackline then does not emit those runs itself; it

- adds its facets to the provider's events: set ``[openlineage] custom_run_facets`` (or
  ``AIRFLOW__OPENLINEAGE__CUSTOM_RUN_FACETS``) to
  ``trackline.integrations.airflow.openlineage.trackline_run_facets``;
- records the provider's deterministic run id in the task run's ``external_ids``
  (``openlineage_run_id``), which is also what keeps trackline's own emitter off the run;
- names tables the way the provider does (``table_uri``), so a tracked task that reads a table
  an SQL operator wrote logs the same location and the lineage connects.

Everything here is guarded: a provider that changed shape costs facets, never a task.
"""

from __future__ import annotations

import logging
from typing import Any

from ...openlineage.naming import dataset_uri
from .identity import task_identity

__all__ = [
    "dag_run_ids",
    "openlineage_ids",
    "provider_enabled",
    "provider_run_id",
    "table_uri",
    "trackline_run_facets",
]

log = logging.getLogger("trackline")

_STATES = {"running": "running", "success": "success", "failed": "failed", "skipped": "skipped"}


def provider_enabled() -> bool:
    """The OpenLineage provider is installed and has a transport (it emits)."""
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return False
    try:
        return not conf.is_disabled()
    except Exception:  # noqa: BLE001 - an unreadable config means: not emitting
        return False


def provider_run_id(ti: Any) -> str | None:
    """The run id the provider gives this task instance (its own deterministic UUIDv7)."""
    try:
        from airflow.providers.openlineage.plugins.adapter import OpenLineageAdapter

        dag_run = ti.get_template_context()["dag_run"]
        date = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
        return str(
            OpenLineageAdapter.build_task_instance_run_id(
                dag_id=ti.dag_id,
                task_id=ti.task_id,
                try_number=ti.try_number,
                logical_date=date,
                map_index=ti.map_index,
            )
        )
    except Exception as exc:  # noqa: BLE001
        log.debug("trackline: no OpenLineage run id for %s: %s", getattr(ti, "task_id", ti), exc)
        return None


def openlineage_ids(ti: Any) -> dict[str, Any]:
    """``{"openlineage_run_id": …}`` when the provider emits this task instance, else ``{}``."""
    if not provider_enabled():
        return {}
    run_id = provider_run_id(ti)
    return {"openlineage_run_id": run_id} if run_id else {}


def dag_run_ids(dag_run: Any) -> dict[str, Any]:
    """``{"openlineage_run_id": …}`` of a dag run the provider emits (its DAG-level run id)."""
    if not provider_enabled():
        return {}
    try:
        from airflow.providers.openlineage.plugins.adapter import OpenLineageAdapter

        date = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
        run_id = OpenLineageAdapter.build_dag_run_id(
            dag_id=dag_run.dag_id,
            logical_date=date,
            clear_number=getattr(dag_run, "clear_number", 0) or 0,
        )
        return {"openlineage_run_id": str(run_id)}
    except Exception as exc:  # noqa: BLE001
        log.debug("trackline: no OpenLineage run id for dag run: %s", exc)
        return {}


def trackline_run_facets(task_instance: Any, ti_state: Any) -> dict[str, Any]:
    """The provider's custom-facet hook: trackline's ids (and params/metrics seen so far)."""
    try:
        from ...openlineage import facets as tf
        from ...openlineage.events import json_value
        from . import recording

        ident = task_identity(task_instance)
        state = str(getattr(ti_state, "value", ti_state) or "").lower()
        facets: dict[str, Any] = {
            "trackline_run": tf.TracklineRunFacet(
                id=ident["run_id"],
                kind="task_run",
                status=_STATES.get(state, state or "running"),
                pipeline=ident["pipeline"],
                pipelineRunId=ident["pipeline_run_id"],
                externalIds={**ident["external_ids"], **openlineage_ids(task_instance)},
                producer=tf.PRODUCER,
            )
        }
        rec = recording.current(task_instance)
        if rec is not None and rec.params:
            facets["trackline_params"] = tf.TracklineParamsRunFacet(
                params=json_value(rec.params), producer=tf.PRODUCER
            )
        return facets
    except Exception as exc:  # noqa: BLE001 - never cost the provider its event
        log.warning("trackline: OpenLineage facets not added: %s: %s", type(exc).__name__, exc)
        return {}


def table_uri(hook: Any, table: str, *, schema: str | None = None) -> str:
    """The location URI of ``table`` as the provider names it (namespace/database.schema.table),
    e.g. ``postgres://host:5432/db.public.training``, from the hook's own OpenLineage info."""
    conn = hook.get_connection(getattr(hook, hook.conn_name_attr))
    info = hook.get_openlineage_database_info(conn)
    schema = schema or hook.get_openlineage_default_schema() or "public"
    database = info.database or conn.schema
    namespace = f"{info.scheme}://{info.authority}"
    return dataset_uri(namespace, f"{database}.{schema}.{table}")
