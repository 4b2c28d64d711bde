"""The SQL store: SQLite (embedded default) and PostgreSQL behind one implementation."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psutil
import sqlalchemy as sa

from ...errors import AmbiguousRef, NotFound
from ...model.runs import (
    Artifact,
    ArtifactRef,
    CodeRef,
    ColumnInfo,
    Environment,
    ErrorInfo,
    LineageGraph,
    Metric,
    PipelineRun,
    ResourceUsage,
    RunQuery,
    RunStatus,
    TaskRun,
    utcnow,
)
from ..protocols import RunStore
from . import fastpath
from . import lineage as _lineage
from .dialect import chunks, insert_ignore, like_prefix, utc, valid_ref
from .engine import create_engine
from .migrate import ensure_schema
from .monitoring import SqlMonitoring
from .openlineage import SqlOpenLineage
from .registry import SqlRegistry
from .tables import (
    ArtifactRow,
    EnvironmentRow,
    EventRow,
    MetricRow,
    ParamRow,
    PipelineRunRow,
    TaskRunRow,
)

__all__ = ["SqlStore"]

T_RUNS = TaskRunRow.__table__
T_PIPES = PipelineRunRow.__table__
T_PARAMS = ParamRow.__table__
T_ARTIFACTS = ArtifactRow.__table__
T_EVENTS = EventRow.__table__
T_METRICS = MetricRow.__table__
T_ENVS = EnvironmentRow.__table__

_RANK = {RunStatus.RUNNING.value: 0, RunStatus.CRASHED.value: 1}


def _wins(new_status: str, old_status: str) -> bool:
    """A terminal status beats ``crashed`` beats ``running``; equals: the newer record wins."""
    return _RANK.get(new_status, 2) >= _RANK.get(old_status, 2)


class SqlStore(SqlRegistry, SqlMonitoring, SqlOpenLineage, RunStore):
    def __init__(
        self,
        url: str,
        *,
        busy_timeout: float = 60.0,
        auto_upgrade: bool = True,
        engine: sa.Engine | None = None,
    ) -> None:
        self.url = url
        self.engine = engine or create_engine(url, busy_timeout=busy_timeout)
        ensure_schema(self.engine, auto_upgrade=auto_upgrade)
        self._envs_written: set[str] = set()
        self._host = socket.gethostname()

    def close(self) -> None:
        self.engine.dispose()

    def _write(self):
        return self.engine.connect().execution_options(trackline_write=True)

    # -- writes ---------------------------------------------------------------------------
    def write_task_run(self, run: TaskRun) -> None:
        if self.engine.dialect.name == "sqlite" and self._write_new_sqlite(run):
            return
        row = _task_row(run)
        with self._write() as conn, conn.begin():
            if run.environment is not None and run.environment.digest not in self._envs_written:
                conn.execute(
                    insert_ignore(conn, T_ENVS, ["digest"]),
                    {
                        "digest": run.environment.digest,
                        "data": run.environment.model_dump(mode="json"),
                        "created_at": utcnow(),
                    },
                )
            if not _inserted(conn, T_RUNS, row):
                _merge(conn, T_RUNS, row)
            self._write_children(conn, run)
        if run.environment is not None:
            self._envs_written.add(run.environment.digest)

    def _write_new_sqlite(self, run: TaskRun) -> bool:
        env_known = run.environment is None or run.environment.digest in self._envs_written
        raw = self.engine.raw_connection()
        try:
            written = fastpath.insert_new_task_run(raw.driver_connection, run, env_known)
        finally:
            raw.close()
        if written and run.environment is not None:
            self._envs_written.add(run.environment.digest)
        return written

    def _write_children(self, conn: sa.Connection, run: TaskRun) -> None:
        if run.artifacts:
            conn.execute(
                insert_ignore(conn, T_ARTIFACTS, ["digest"]),
                [_artifact_row(a) for a in run.artifacts],
            )
            named = [a for a in run.artifacts if a.name]
            for a in named:  # the first name an artifact is given sticks
                conn.execute(
                    sa.update(T_ARTIFACTS)
                    .where(T_ARTIFACTS.c.digest == a.digest, T_ARTIFACTS.c.name.is_(None))
                    .values(name=a.name)
                )
        events = [
            {
                "task_run_id": run.id,
                "direction": direction,
                "artifact_digest": ref.digest,
                "slot": ref.name,
            }
            for direction, refs in (("input", run.inputs), ("output", run.outputs))
            for ref in refs
        ]
        if events:
            conn.execute(
                insert_ignore(
                    conn, T_EVENTS, ["task_run_id", "direction", "artifact_digest", "slot"]
                ),
                events,
            )
        if run.params:
            conn.execute(
                insert_ignore(conn, T_PARAMS, ["task_run_id", "key"]),
                [{"task_run_id": run.id, "key": k, "value": v} for k, v in run.params.items()],
            )
        if run.metrics:
            conn.execute(
                insert_ignore(conn, T_METRICS, ["id"]),
                [
                    {
                        "id": m.id,
                        "task_run_id": run.id,
                        "key": m.key,
                        "value": None if m.value != m.value else m.value,
                        "step": m.step,
                        "timestamp": m.timestamp,
                    }
                    for m in run.metrics
                ],
            )

    def write_pipeline_run(self, run: PipelineRun) -> None:
        row = run.model_dump()
        with self._write() as conn, conn.begin():
            if not _inserted(conn, T_PIPES, row):
                _merge(conn, T_PIPES, row)

    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        with self._write() as conn, conn.begin():
            for table, ids in ((T_RUNS, task_run_ids), (T_PIPES, pipeline_run_ids)):
                for batch in chunks(ids):
                    conn.execute(
                        sa.update(table)
                        .where(table.c.id.in_(batch), table.c.status == RunStatus.RUNNING.value)
                        .values(heartbeat_at=at)
                    )

    def reap(self, stale_before: datetime) -> list[str]:
        reaped: list[str] = []
        with self._write() as conn, conn.begin():
            for table in (T_RUNS, T_PIPES):
                running = conn.execute(
                    sa.select(
                        table.c.id,
                        table.c.started_at,
                        table.c.heartbeat_at,
                        table.c.host,
                        table.c.pid,
                    ).where(sa.text("status = 'running'"))
                ).all()  # literal: matches the partial index
                for rid, started, beat, host, pid in running:
                    last = utc(beat) or utc(started)
                    dead_here = host == self._host and pid and not psutil.pid_exists(pid)
                    if dead_here or (last is not None and last < stale_before):
                        ended = last or utcnow()
                        conn.execute(
                            sa.update(table)
                            .where(table.c.id == rid, table.c.status == RunStatus.RUNNING.value)
                            .values(
                                status=RunStatus.CRASHED.value,
                                ended_at=ended,
                                duration_s=(ended - utc(started)).total_seconds()
                                if started
                                else None,
                            )
                        )
                        reaped.append(rid)
        return reaped

    # -- reads ----------------------------------------------------------------------------
    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        t = T_RUNS
        stmt = sa.select(t)
        if query.pipeline:
            stmt = stmt.where(t.c.pipeline == query.pipeline)
        if query.pipeline_run_id:
            stmt = stmt.where(t.c.pipeline_run_id == query.pipeline_run_id)
        if query.status:
            stmt = stmt.where(t.c.status == query.status)
        if query.name:
            stmt = stmt.where(t.c.name == query.name)
        if query.since:
            stmt = stmt.where(t.c.started_at >= query.since)
        if query.until:
            stmt = stmt.where(t.c.started_at < query.until)
        order = t.c.started_at.desc() if query.order == "newest" else t.c.started_at.asc()
        stmt = stmt.order_by(order, t.c.id).limit(query.limit)
        with self.engine.connect() as conn:
            return [_task_run(r._mapping) for r in conn.execute(stmt)]

    def _resolve(
        self, conn: sa.Connection, table: sa.Table, column: sa.Column, ref: str, what: str
    ) -> Any:
        if not valid_ref(ref):
            raise NotFound(f"no {what} {ref!r}")
        row = conn.execute(sa.select(table).where(column == ref)).first()
        if row is not None:
            return row
        rows = conn.execute(
            sa.select(table).where(column.like(like_prefix(ref), escape="\\")).limit(2)
        ).all()
        if not rows:
            raise NotFound(f"no {what} {ref!r}")
        if len(rows) > 1:
            raise AmbiguousRef(f"{what} prefix {ref!r} matches more than one; give more characters")
        return rows[0]

    def get_run(self, ref: str) -> TaskRun:
        with self.engine.connect() as conn:
            row = self._resolve(conn, T_RUNS, T_RUNS.c.id, ref, "run")
            run = _task_run(row._mapping)
            run.params = {
                r.key: r.value
                for r in conn.execute(
                    sa.select(T_PARAMS)
                    .where(T_PARAMS.c.task_run_id == run.id)
                    .order_by(T_PARAMS.c.key)
                )
            }
            io = conn.execute(
                sa.select(
                    T_EVENTS.c.direction,
                    T_EVENTS.c.slot,
                    T_ARTIFACTS.c.digest,
                    T_ARTIFACTS.c.kind,
                    T_ARTIFACTS.c.uri,
                )
                .join(T_ARTIFACTS, T_ARTIFACTS.c.digest == T_EVENTS.c.artifact_digest)
                .where(T_EVENTS.c.task_run_id == run.id)
                .order_by(T_EVENTS.c.slot)
            ).all()
            for direction, slot, digest, kind, uri in io:
                ref_ = ArtifactRef(name=slot, digest=digest, kind=kind, uri=uri)
                (run.inputs if direction == "input" else run.outputs).append(ref_)
            run.metrics = [
                Metric(
                    id=m.id,
                    key=m.key,
                    value=float("nan") if m.value is None else m.value,
                    step=m.step,
                    timestamp=utc(m.timestamp),
                )
                for m in conn.execute(
                    sa.select(T_METRICS)
                    .where(T_METRICS.c.task_run_id == run.id)
                    .order_by(T_METRICS.c.key, T_METRICS.c.timestamp)
                )
            ]
            env_digest = row._mapping["environment_digest"]
            if env_digest:
                data = conn.execute(
                    sa.select(T_ENVS.c.data).where(T_ENVS.c.digest == env_digest)
                ).scalar()
                run.environment = Environment.model_validate(data) if data else None
            return run

    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]:
        stmt = sa.select(T_PIPES).order_by(T_PIPES.c.started_at.desc()).limit(limit)
        if pipeline:
            stmt = stmt.where(T_PIPES.c.pipeline == pipeline)
        with self.engine.connect() as conn:
            return [_pipeline_run(r._mapping) for r in conn.execute(stmt)]

    def get_pipeline_run(self, ref: str) -> PipelineRun:
        with self.engine.connect() as conn:
            return _pipeline_run(
                self._resolve(conn, T_PIPES, T_PIPES.c.id, ref, "pipeline run")._mapping
            )

    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        stmt = sa.select(T_ARTIFACTS).order_by(T_ARTIFACTS.c.created_at.desc()).limit(limit)
        if kind:
            stmt = stmt.where(T_ARTIFACTS.c.kind == kind)
        with self.engine.connect() as conn:
            return [_artifact(r._mapping) for r in conn.execute(stmt)]

    def get_artifact(self, ref: str) -> Artifact:
        with self.engine.connect() as conn:
            named = conn.execute(
                sa.select(T_ARTIFACTS)
                .where(T_ARTIFACTS.c.name == ref)
                .order_by(T_ARTIFACTS.c.created_at.desc())
            ).first()
            if named is not None:
                return _artifact(named._mapping)
            return _artifact(
                self._resolve(conn, T_ARTIFACTS, T_ARTIFACTS.c.digest, ref, "artifact")._mapping
            )

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        with self.engine.connect() as conn:
            try:
                root, root_type = (
                    self._resolve(conn, T_RUNS, T_RUNS.c.id, ref, "run").id,
                    "task_run",
                )
            except NotFound:
                try:
                    art = self._resolve(conn, T_ARTIFACTS, T_ARTIFACTS.c.digest, ref, "artifact")
                except NotFound:
                    raise NotFound(f"no run or artifact {ref!r}") from None
                root, root_type = art.digest, "artifact"
            return _lineage.closure(conn, root, root_type, direction, depth)


# -- row <-> record -------------------------------------------------------------------------
def _inserted(conn: sa.Connection, table: sa.Table, row: dict[str, Any]) -> bool:
    """Insert unless the id exists; RETURNING tells which (rowcount is -1 under psycopg 3)."""
    stmt = insert_ignore(conn, table, ["id"]).returning(table.c.id)
    return conn.execute(stmt, row).first() is not None


def _merge(conn: sa.Connection, table: sa.Table, row: dict[str, Any]) -> None:
    """Fold an incoming record into the stored one under the status rule (row locked first)."""
    stmt = sa.select(table).where(table.c.id == row["id"])
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    old = dict(conn.execute(stmt).one()._mapping)
    take_new = _wins(row["status"], old["status"])
    values = {}
    for key, new in row.items():
        if key == "id" or new is None or new == {}:
            continue
        if key in ("external_ids", "config") and isinstance(old.get(key), dict):
            values[key] = {**old[key], **new} if take_new else {**new, **old[key]}
        elif take_new or old.get(key) in (None, {}):
            values[key] = new
    if not take_new:
        values.pop("status", None)
    if values:
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))


def _task_row(run: TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "pipeline": run.pipeline,
        "pipeline_run_id": run.pipeline_run_id,
        "parent_id": run.parent_id,
        "status": run.status,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration_s": run.duration_s,
        "heartbeat_at": run.heartbeat_at,
        "host": run.host,
        "pid": run.pid,
        "code_digest": run.code_digest,
        "code": run.code.model_dump(mode="json") if run.code else None,
        "environment_digest": run.environment.digest if run.environment else None,
        "resources": run.resources.model_dump(mode="json") if run.resources else None,
        "external_ids": run.external_ids or None,
        "error_type": run.error.type if run.error else None,
        "error_message": run.error.message if run.error else None,
        "error_traceback": run.error.traceback if run.error else None,
    }


def _task_run(m: Any) -> TaskRun:
    return TaskRun(
        id=m["id"],
        name=m["name"],
        pipeline=m["pipeline"],
        pipeline_run_id=m["pipeline_run_id"],
        parent_id=m["parent_id"],
        status=m["status"],
        started_at=utc(m["started_at"]),
        ended_at=utc(m["ended_at"]),
        duration_s=m["duration_s"],
        heartbeat_at=utc(m["heartbeat_at"]),
        host=m["host"],
        pid=m["pid"],
        code_digest=m["code_digest"],
        code=CodeRef.model_validate(m["code"]) if m["code"] else None,
        resources=ResourceUsage.model_validate(m["resources"]) if m["resources"] else None,
        external_ids=m["external_ids"] or {},
        error=ErrorInfo(
            type=m["error_type"], message=m["error_message"] or "", traceback=m["error_traceback"]
        )
        if m["error_type"]
        else None,
    )


def _pipeline_run(m: Any) -> PipelineRun:
    data = dict(m)
    for key in ("started_at", "ended_at", "heartbeat_at"):
        data[key] = utc(data[key])
    data["config"] = data["config"] or {}
    data["external_ids"] = data["external_ids"] or {}
    return PipelineRun.model_validate(data)


def _artifact_row(a: Artifact) -> dict[str, Any]:
    row = a.model_dump(mode="json")
    row["created_at"] = a.created_at
    return row


def _artifact(m: Any) -> Artifact:
    data = dict(m)
    data["created_at"] = utc(data["created_at"])
    data["columns"] = [ColumnInfo(**c) for c in data["columns"]] if data["columns"] else None
    return Artifact.model_validate(data)
