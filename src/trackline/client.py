"""``trackline.connect()`` and ``trackline.configure()``: query a store, choose where tasks write.

``connect(url)`` returns a ``Client`` bound to that store and changes nothing else, so a notebook
can open a second store to look at it while its tracked tasks keep writing where they did.
``configure(store=url)`` is the one explicit call that changes where this process's tracked tasks
write (it beats ``TRACKLINE_STORE``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .best import Best, best
from .config import Settings, set_override, settings
from .diff import PipelineDiff, RunDiff, diff_pipeline_runs, diff_runs
from .errors import PermissionDenied, Unauthenticated
from .model.runs import (
    Artifact,
    ArtifactLocation,
    FolderFile,
    LineageGraph,
    PipelineRun,
    RunQuery,
    RunStatus,
    TaskRun,
    utcnow,
)
from .query.spec import Search, SearchResult
from .store import (
    AuditStore,
    FailSafeStore,
    LocationStore,
    MonitoringStore,
    RegistryStore,
    RunStore,
    SearchStore,
    capability,
    get_store,
)
from .store.spool import ReplayResult

__all__ = ["Client", "configure", "connect"]


class Client:
    """Queries over one store. Listing runs first reaps runs whose lease expired."""

    def __init__(self, store: RunStore, config: Settings) -> None:
        self.store = store
        self.config = config

    @property
    def registry(self) -> RegistryStore:
        """Model versions, aliases, evaluations and gate decisions of this store."""
        return capability(self.store, RegistryStore)  # type: ignore[type-abstract]

    @property
    def audit(self) -> AuditStore:
        """The hash-chained audit log of this store."""
        return capability(self.store, AuditStore)  # type: ignore[type-abstract]

    @property
    def monitoring(self) -> MonitoringStore:
        """Drift reports, trigger episodes and firings of this store."""
        return capability(self.store, MonitoringStore)  # type: ignore[type-abstract]

    def reap(self) -> list[str]:
        return self.store.reap(utcnow() - timedelta(seconds=self.config.stale_after))

    def runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        name: str | None = None,
        pipeline_run_id: str | None = None,
        limit: int = 100,
        order: str = "newest",
        monitoring: bool = True,
    ) -> list[TaskRun]:
        """Task runs; ``monitoring=False`` leaves out trackline's own check runs."""
        self.reap()
        return self.store.list_runs(
            RunQuery(
                pipeline=pipeline,
                status=status,
                name=name,
                pipeline_run_id=pipeline_run_id,
                limit=limit,
                order=order,
                monitoring=monitoring,
            )
        )

    # -- search language (docs/query.md) -----------------------------------------------------
    def search_runs(
        self,
        where: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        columns: str | list[str] | None = None,
        group_by: str | list[str] | None = None,
        agg: str | list[str] | None = None,
    ) -> SearchResult:
        """Task runs matching ``where`` (e.g. ``"params.lr > 0.01 and metrics.acc > 0.9"``),
        ordered by ``order_by`` (``"metrics.acc desc, duration"``), with ``columns``; with
        ``group_by``/``agg`` one row per group."""
        self.reap()
        search = Search(
            where=where,
            order_by=order_by,
            limit=limit,
            columns=columns,
            group_by=group_by,
            agg=agg,
        )
        return capability(self.store, SearchStore).search_runs(search)  # type: ignore[type-abstract]

    def search_pipelines(
        self,
        where: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        columns: str | list[str] | None = None,
        group_by: str | list[str] | None = None,
        agg: str | list[str] | None = None,
    ) -> SearchResult:
        """Pipeline runs; a task's params and metrics by name: ``params.train.lr``,
        ``metrics.evaluate.f1``."""
        self.reap()
        search = Search(
            scope="pipelines",
            where=where,
            order_by=order_by,
            limit=limit,
            columns=columns,
            group_by=group_by,
            agg=agg,
        )
        store = capability(self.store, SearchStore)  # type: ignore[type-abstract]
        return store.search_pipelines(search)

    def best(
        self,
        metric: str,
        *,
        pipeline: str | None = None,
        where: str | None = None,
        lowest: bool = False,
    ) -> Best:
        """The best run (or pipeline run, for ``metrics.<task>.<key>``) with its params, inputs
        and model outputs."""
        return best(self.store, metric, pipeline=pipeline, where=where, lowest=lowest)

    def runs_df(
        self,
        where: str | None = None,
        columns: str | list[str] | None = None,
        order_by: str | None = None,
        **filters: Any,
    ):
        """Runs as a pandas DataFrame (needs pandas). With ``where``/``columns``/``order_by``
        the rows come from the search language and ``params.*``/``metrics.*`` columns have
        proper dtypes (float64, Int64, boolean, string)."""
        import pandas as pd

        if where is not None or columns is not None or order_by is not None:
            from .query.frame import to_frame

            result = self.search_runs(
                where=where, order_by=order_by, columns=columns, limit=filters.pop("limit", 100)
            )
            if filters:
                raise TypeError(f"runs_df() with a search takes no {sorted(filters)}")
            return to_frame(result)

        rows = [
            r.model_dump(
                include={
                    "id",
                    "name",
                    "pipeline",
                    "pipeline_run_id",
                    "status",
                    "started_at",
                    "ended_at",
                    "duration_s",
                }
            )
            for r in self.runs(**filters)
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "id",
                "name",
                "pipeline",
                "pipeline_run_id",
                "status",
                "started_at",
                "ended_at",
                "duration_s",
            ],
        )

    def run(self, ref: str) -> TaskRun:
        return self._current(self.store.get_run, ref)

    def pipeline_runs(self, pipeline: str | None = None, limit: int = 100) -> list[PipelineRun]:
        self.reap()
        return self.store.list_pipeline_runs(pipeline, limit)

    def pipeline_run(self, ref: str) -> PipelineRun:
        return self._current(self.store.get_pipeline_run, ref)

    def _current(self, get, ref: str):
        """``get(ref)``, reaped first if it shows ``running`` (as listings reap): a run whose
        process died is crashed, not running. Readers the server does not let reap (anonymous
        ones) see the stored status."""
        found = get(ref)
        if found.status != RunStatus.RUNNING.value:
            return found
        try:
            reaped = self.reap()
        except (Unauthenticated, PermissionDenied):
            return found
        return get(ref) if found.id in reaped else found

    def artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        return self.store.list_artifacts(kind, limit)

    def artifact(self, ref: str) -> Artifact:
        return self.store.get_artifact(ref)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        return self.store.lineage(ref, direction, depth)

    def diff(self, a: str, b: str) -> RunDiff:
        """Two task runs: params, inputs, code (with a source diff), data changes, metrics."""
        return diff_runs(self.run(a), self.run(b), self.store)

    def diff_pipelines(self, a: str, b: str) -> PipelineDiff:
        """Two pipeline runs, their task runs paired by name."""
        return diff_pipeline_runs(self.store, a, b)

    @property
    def locations_store(self) -> LocationStore:
        return capability(self.store, LocationStore)  # type: ignore[type-abstract]

    def locations(self, ref: str) -> list[ArtifactLocation]:
        """Every location these bytes were read from, written to or registered from."""
        return self.locations_store.artifact_locations(ref)

    def folder_files(self, digest: str) -> list[FolderFile]:
        return self.locations_store.folder_manifest(digest)

    def pipeline_run_id(self, ref: str) -> str:
        """A pipeline run id from an id or the unique prefix the CLI prints (a value no
        pipeline run has is returned as given: adapters may record ids only on task runs)."""
        from .errors import NotFound

        try:
            return self.store.get_pipeline_run(ref).id
        except NotFound:
            return ref

    def sync(self) -> ReplayResult:
        """Deliver spooled (journaled) records now."""
        if isinstance(self.store, FailSafeStore):
            return self.store.replay_spool(wait=True)
        return ReplayResult()


def connect(url: str | None = None, **overrides: Any) -> Client:
    """A client bound to the store at ``url`` (default: where tracked tasks write now).

    ``overrides`` are settings for this client only (e.g. ``token=`` for a team server); nothing
    process-wide changes. Use ``configure`` to choose where tracked tasks write.
    """
    cfg = settings()
    if url is not None or overrides:
        cfg = Settings(**{**dict(cfg), **({"store": url} if url else {}), **overrides})
    return Client(get_store(cfg), cfg)


def configure(*, store: str | None = None, **values: Any) -> None:
    """Choose settings for this process, e.g. ``configure(store="postgresql://…")``: every
    tracked task from here on writes there. Explicit values beat ``TRACKLINE_*`` variables."""
    set_override(store=store, **values)
