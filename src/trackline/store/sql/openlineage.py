"""The SQL store's record of received OpenLineage events (``LineageEventStore``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...model.runs import utcnow
from .dialect import insert_ignore
from .openlineage_tables import OpenLineageEventRow
from .tables import PipelineRunRow

__all__ = ["SqlOpenLineage"]

T_OL = OpenLineageEventRow.__table__
T_PIPES = PipelineRunRow.__table__


class SqlOpenLineage:
    engine: sa.Engine

    def add_openlineage_event(
        self,
        run_id: str,
        event_type: str,
        event_time: str,
        job_namespace: str,
        job_name: str,
        payload: dict[str, Any],
    ) -> bool:
        row = {
            "run_id": run_id,
            "event_type": event_type,
            "event_time": event_time,
            "received_at": utcnow(),
            "job_namespace": job_namespace,
            "job_name": job_name,
            "payload": payload,
        }
        with self.engine.connect().execution_options(trackline_write=True) as conn, conn.begin():
            stmt = insert_ignore(conn, T_OL, ["run_id", "event_type", "event_time"])
            return conn.execute(stmt.returning(T_OL.c.run_id), row).first() is not None

    def openlineage_events(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T_OL.c.payload)
                .where(T_OL.c.run_id == run_id)
                .order_by(T_OL.c.event_time, T_OL.c.event_type)
            ).all()
        return [r.payload for r in rows]

    def pipeline_run_for_openlineage(self, run_id: str) -> str | None:
        """The trackline pipeline run another producer's run id belongs to (Airflow's dag run,
        recorded by trackline's listener with the provider's id). A scan of pipeline runs: one
        row per pipeline execution, far fewer than task runs."""
        ext = T_PIPES.c.external_ids["openlineage_run_id"].as_string()
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(T_PIPES.c.id).where(T_PIPES.c.external_ids.is_not(None), ext == run_id)
            ).scalar()
