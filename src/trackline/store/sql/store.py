"""The SQL store: SQLite (embedded default) and PostgreSQL behind one implementation."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import psutil
import sqlalchemy as sa

from ...config import Settings
from ...errors import AmbiguousRef, NotFound
from ...model.limits import check_pipeline_run, check_task_run, repair_json
from ...model.lineage_view import group_producers, merge_graphs
from ...model.runs import (
    MONITORING_PREFIX,
    Artifact,
    ArtifactLocation,
    ArtifactRef,
    CodeRef,
    Environment,
    ErrorInfo,
    FolderFile,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Metric,
    PipelineRun,
    ResourceUsage,
    RunQuery,
    RunStatus,
    TaskRun,
    utcnow,
)
from ...model.trusted import bulk
from ...query.spec import Search, SearchResult
from ..protocols import LocationStore, RunStore, SearchStore
from . import fastpath
from . import lineage as _lineage
from . import locations as _locations
from . import search as _search
from .batch import write_in_one_transaction
from .dialect import chunks, insert_ignore, like_prefix, utc, valid_ref
from .engine import create_engine
from .history import Fold, fold_into, metric_conflicts
from .keys import adopt_events, insert_artifacts, insert_events, with_seq
from .migrate import ensure_schema
from .monitoring import SqlMonitoring
from .namejoin import same_location
from .openlineage import SqlOpenLineage
from .registry import SqlRegistry
from .rows import artifact_from_row, artifact_row
from .searchindex import T_LATEST, latest_rows, refresh_latest, typed_param
from .series import insert_series, series_conflicts, series_rows
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


class SqlStore(SqlRegistry, SqlMonitoring, SqlOpenLineage, LocationStore, RunStore, SearchStore):
    def __init__(
        self,
        url: str,
        settings: Settings | None = None,
        *,
        busy_timeout: float | None = None,
        auto_upgrade: bool | None = None,
        engine: sa.Engine | None = None,
    ) -> None:
        if url.startswith("sqlite:///~"):
            url = "sqlite:///" + os.path.expanduser(url[len("sqlite:///") :])
        if settings is not None:
            busy_timeout = settings.busy_timeout if busy_timeout is None else busy_timeout
            auto_upgrade = settings.auto_upgrade if auto_upgrade is None else auto_upgrade
        busy_timeout = 60.0 if busy_timeout is None else busy_timeout
        auto_upgrade = True if auto_upgrade is None else auto_upgrade
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
        check_task_run(run)  # the server's limits hold for direct writes too
        if self.engine.dialect.name == "sqlite" and self._write_new_sqlite(run):
            return
        with self._write() as conn, conn.begin():
            self._task_run_in(conn, run)
        if run.environment is not None:
            self._envs_written.add(run.environment.digest)

    def write_records(self, records: Sequence[TaskRun | PipelineRun]) -> list[Exception | None]:
        """Many records in one transaction, each refused on its own (``batch.py``)."""
        return write_in_one_transaction(self, records)

    def _task_run_in(self, conn: sa.Connection, run: TaskRun) -> None:
        row = _task_row(run)
        self._environments_in(conn, [run])
        new = _inserted(conn, T_RUNS, row)
        if new:
            adopt_events(conn, [run.id])
        fold = Fold.MERGED if new else fold_into(conn, T_RUNS, row)
        if not new and run.metrics:
            metric_conflicts(conn, T_METRICS, run.id, run.metrics)
        if not new and run.metric_series:
            series_conflicts(conn, run.id, run.metric_series)
        if fold is Fold.STALE:  # a late snapshot of a finished run adds only its metrics
            run = run.model_copy(update={"inputs": [], "outputs": [], "params": {}})
            run.artifacts = []
        self._write_children(conn, [run], new)

    def _environments_in(self, conn: sa.Connection, runs: Sequence[TaskRun]) -> None:
        envs = {
            r.environment.digest: r.environment
            for r in runs
            if r.environment is not None and r.environment.digest not in self._envs_written
        }
        if envs:
            conn.execute(
                insert_ignore(conn, T_ENVS, ["digest"]),
                [
                    {"digest": d, "data": e.model_dump(mode="json"), "created_at": utcnow()}
                    for d, e in envs.items()
                ],
            )

    def _write_new_sqlite(self, run: TaskRun) -> bool:
        if any(a.files for a in run.artifacts):
            return False  # folder manifests take the SQLAlchemy path (written once per folder)
        raw = self.engine.raw_connection()
        try:
            return not fastpath.insert_new_task_runs(
                raw.driver_connection, [run], self._envs_written
            )
        finally:
            raw.close()

    def _write_children(
        self, conn: sa.Connection, runs: Sequence[TaskRun], new: bool = False
    ) -> None:
        """Artifacts, events, locations, params and metrics of ``runs``, one statement per table
        for all of them (a batch of new runs); ``new``: none of them was stored before."""
        by_digest = {a.digest: a for run in runs for a in fastpath.artifact_rows(run)}
        arts = list(by_digest.values())
        if arts:
            insert_artifacts(conn, [artifact_row(a) for a in arts])
            for a in (a for a in arts if a.name):  # the first name an artifact is given sticks
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
            for run in runs
            for direction, refs in (("input", run.inputs), ("output", run.outputs))
            for ref in refs
        ]
        insert_events(conn, events)
        _locations.write_locations(conn, [r for run in runs for r in _locations.location_rows(run)])
        _locations.write_manifests(conn, arts)
        params = [_param_row(run.id, k, v) for run in runs for k, v in run.params.items()]
        if params:
            conn.execute(insert_ignore(conn, T_PARAMS, ["task_run_id", "key"]), params)
        if not any(run.metrics or run.metric_series for run in runs):
            return
        for run in runs:
            if run.metric_series:
                insert_series(conn, run.id, run.metric_series)
        if any(run.metrics for run in runs):
            _insert_metric_rows(conn, runs)
        if new:  # no history yet: the batch is the whole story
            rows = [
                row
                for run in runs
                for row in latest_rows(
                    run.id,
                    ((m.key, m.value, m.step, utc(m.timestamp), m.id) for m in run.metrics),
                    run.metric_series,
                )
            ]
            if rows:
                conn.execute(sa.insert(T_LATEST), rows)
        else:
            for run in runs:
                refresh_latest(conn, run.id, run.metrics, run.metric_series)

    def write_pipeline_run(self, run: PipelineRun) -> None:
        check_pipeline_run(run)
        with self._write() as conn, conn.begin():
            self._pipeline_run_in(conn, run)

    def _pipeline_run_in(self, conn: sa.Connection, run: PipelineRun) -> None:
        row = run.model_dump()
        if not _inserted(conn, T_PIPES, row):
            fold_into(conn, T_PIPES, row)

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
        if not query.monitoring:
            stmt = stmt.where(~t.c.name.startswith(MONITORING_PREFIX, autoescape=True))
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
                r.key: repair_json(r.value)
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
            seen = _locations.run_locations(conn, run.id)
            for direction, slot, digest, kind, uri in io:
                # The location this run read or wrote, not where the bytes were first seen.
                where = seen.get((direction, digest, slot)) or seen.get((direction, digest, None))
                ref_ = ArtifactRef(name=slot, digest=digest, kind=kind, uri=where or uri)
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
            series = series_rows(conn, run.id)
            if series:  # one history: both tables' points, by key, then time (stable)
                run.metrics += [m for s in series for m in s.points()]
                run.metrics.sort(key=attrgetter("key", "timestamp"))
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
            return [artifact_from_row(r._mapping) for r in conn.execute(stmt)]

    def get_artifact(self, ref: str) -> Artifact:
        """By digest, then digest prefix; a name only when no digest matches (so naming an
        artifact after someone else's digest redirects nothing). An ambiguous prefix is an
        error, never a fallback to names; a name given to several artifacts means the newest."""
        with self.engine.connect() as conn:
            try:
                row = self._resolve(conn, T_ARTIFACTS, T_ARTIFACTS.c.digest, ref, "artifact")
            except NotFound:
                row = conn.execute(
                    sa.select(T_ARTIFACTS)
                    .where(T_ARTIFACTS.c.name == ref)
                    .order_by(T_ARTIFACTS.c.created_at.desc(), T_ARTIFACTS.c.digest)
                ).first()
                if row is None:
                    raise
            return artifact_from_row(row._mapping)

    # -- search -----------------------------------------------------------------------------
    def search_runs(self, search: Search) -> SearchResult:
        return self._search(search.model_copy(update={"scope": "runs"}))

    def search_pipelines(self, search: Search) -> SearchResult:
        return self._search(search.model_copy(update={"scope": "pipelines"}))

    def _search(self, search: Search) -> SearchResult:
        parsed = search.parsed()
        with self.engine.connect() as conn:
            return _search.search(conn, parsed)

    def field_keys(self, limit: int = 1000) -> dict[str, list[str]]:
        """Param and metric keys of task runs, sorted (see ``search.field_keys``)."""
        with self.engine.connect() as conn:
            return _search.field_keys(conn, limit)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        """From a run, an artifact, a pipeline run (the union of its task runs' closures) or the
        bytes of a file inside a recorded folder (through the folders that held it)."""
        _lineage.check_args(direction, depth)
        with bulk(), self.engine.connect() as conn:  # bulk: tens of thousands of records
            # A whole run id (the usual case) in one round trip; prefixes, artifacts (which may
            # be files inside recorded folders) and pipeline runs as below.
            found = _lineage.exact_root(conn, ref) if valid_ref(ref) else None
            if found is not None and found[1] == "task_run":
                root, _, seq = found
                graph = _lineage.closure(conn, root, "task_run", direction, depth, seq)
                context = next((n.pipeline_run_id for n in graph.nodes if n.id == root), None)
            elif found is not None:  # a whole artifact digest: no prefix lookups
                graph, context = self._artifact_or_pipeline_lineage(
                    conn, ref, direction, depth, found=found
                )
            else:
                try:
                    row = self._resolve(conn, T_RUNS, T_RUNS.c.id, ref, "run")
                    graph = _lineage.closure(conn, row.id, "task_run", direction, depth)
                    context = row.pipeline_run_id
                except NotFound:
                    graph, context = self._artifact_or_pipeline_lineage(conn, ref, direction, depth)
            graph = self._join_locations(conn, graph, direction, depth)
            graph.groups = group_producers(graph, context)
        return graph

    def _join_locations(
        self, conn: sa.Connection, graph: LineageGraph, direction: str, depth: int | None
    ) -> LineageGraph:
        """A table or file known only by its location (an OpenLineage dataset) and the content a
        tracked task read or wrote there are one lineage: join them by a ``location`` edge and
        continue the closure from the joined artifact (its own depth counts from the join)."""
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        cur = conn.connection.driver_connection.cursor()
        try:
            # Only an artifact with a location can share one (the closure read every uri).
            seen = {n.id for n in graph.nodes if n.type == "artifact"}
            frontier = {n.id for n in graph.nodes if n.type == "artifact" and n.uri}
            graphs, joins = [graph], []
            while frontier:
                pairs = same_location(cur, mark, frontier)
                joins += [
                    LineageEdge(source=a, target=b, type="location", by="name") for a, b in pairs
                ]
                new = {d for pair in pairs for d in pair} - seen
                seen |= new
                found = [_lineage.closure(conn, d, "artifact", direction, depth) for d in new]
                graphs += found
                reached = [n for g in found for n in g.nodes if n.type == "artifact"]
                frontier = {n.id for n in reached if n.uri} - seen
                seen |= {n.id for n in reached}
        finally:
            cur.close()
        if not joins:
            return graph
        return merge_graphs(graph.root, direction, depth, graphs, extra_edges=joins)

    def _artifact_or_pipeline_lineage(
        self, conn, ref, direction, depth, found: tuple | None = None
    ) -> tuple[LineageGraph, str | None]:
        if found is not None:
            digest = found[0]
        else:
            try:
                art = self._resolve(conn, T_ARTIFACTS, T_ARTIFACTS.c.digest, ref, "artifact")
                digest = art.digest
            except NotFound:
                digest = None
        if digest is None:
            try:
                pipe = self._resolve(conn, T_PIPES, T_PIPES.c.id, ref, "pipeline run")
            except NotFound:
                pipe = None
            if pipe is not None:
                run_ids = conn.execute(
                    sa.select(T_RUNS.c.id).where(T_RUNS.c.pipeline_run_id == pipe.id)
                ).scalars()
                graphs = [_lineage.closure(conn, r, "task_run", direction, depth) for r in run_ids]
                return merge_graphs(pipe.id, direction, depth, graphs), pipe.id
        folders = _locations.folders_with(conn, digest or ref) if valid_ref(ref) else []
        if digest is None and not folders:
            raise NotFound(f"no run, pipeline run or artifact {ref!r}")
        root = digest or ref
        seq = found[2] if found is not None else None
        graphs = [_lineage.closure(conn, root, "artifact", direction, depth, seq)] if digest else []
        extra_nodes, extra_edges = [], []
        if folders:
            # The file's bytes were read or written as part of these folders.
            if digest is None:
                extra_nodes.append(
                    LineageNode(
                        id=root,
                        type="artifact",
                        name=folders[0][1].rsplit("/", 1)[-1],
                        kind="file",
                    )
                )
            for folder, path in folders:
                graphs.append(_lineage.closure(conn, folder, "artifact", direction, depth))
                extra_edges.append(
                    LineageEdge(source=folder, target=root, type="contains", name=path)
                )
        return merge_graphs(root, direction, depth, graphs, extra_nodes, extra_edges), None

    # -- locations and manifests ------------------------------------------------------------
    def artifact_locations(self, ref: str) -> list[ArtifactLocation]:
        """Every observation of these bytes: location, run, direction, time (oldest first)."""
        with self.engine.connect() as conn:
            digest = self._resolve(conn, T_ARTIFACTS, T_ARTIFACTS.c.digest, ref, "artifact").digest
            return _locations.locations_of(conn, digest)

    def locations_at(self, uri: str, limit: int = 20) -> list[ArtifactLocation]:
        """What was seen at a location, newest first."""
        with self.engine.connect() as conn:
            return _locations.locations_at(conn, uri, limit)

    def folder_manifest(self, digest: str) -> list[FolderFile]:
        """The files (path, digest, size) of a recorded folder; empty when none was kept."""
        with self.engine.connect() as conn:
            return _locations.manifest_of(conn, digest)


# -- row <-> record -------------------------------------------------------------------------
def _param_row(run_id: str, key: str, value: Any) -> dict[str, Any]:
    num, text, flag = typed_param(value)
    return {
        "task_run_id": run_id,
        "key": key,
        "value": value,
        "num_value": num,
        "str_value": text,
        "bool_value": flag,
    }


def _inserted(conn: sa.Connection, table: sa.Table, row: dict[str, Any]) -> bool:
    """Insert unless the id exists; RETURNING tells which (rowcount is -1 under psycopg 3)."""
    stmt = insert_ignore(conn, table, ["id"])
    if "seq" in table.c:
        stmt = with_seq(conn, stmt, table)
    stmt = stmt.returning(table.c.id)
    return conn.execute(stmt, row).first() is not None


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
        resources=ResourceUsage.model_validate(repair_json(m["resources"]))
        if m["resources"]
        else None,
        # Rows stored before the limits may hold values no serialiser can write back.
        external_ids=repair_json(m["external_ids"]) or {},
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
    data["config"] = repair_json(data["config"]) or {}
    data["external_ids"] = repair_json(data["external_ids"]) or {}
    return PipelineRun.model_validate(data)


def _insert_metric_rows(conn: sa.Connection, runs: Sequence[TaskRun]) -> None:
    """Points written one record each (``metrics``), those a run holds already left alone."""
    if conn.dialect.name == "sqlite":  # SQLAlchemy's per-row work costs twice the insert
        cur = conn.connection.driver_connection.cursor()
        try:
            for run in runs:
                fastpath.insert_metrics(cur, run.id, run.metrics)
        finally:
            cur.close()
    else:
        conn.execute(
            insert_ignore(conn, T_METRICS, ["task_run_id", "id"]),
            [
                {
                    "id": m.id,
                    "task_run_id": run.id,
                    "key": m.key,
                    "value": None if m.value != m.value else m.value,
                    "step": m.step,
                    "timestamp": m.timestamp,
                }
                for run in runs
                for m in run.metrics
            ],
        )
