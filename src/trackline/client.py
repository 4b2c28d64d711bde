"""``trackline.connect()``: the Python face of everything the CLI shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .config import Settings, set_override, settings
from .diff import RunDiff, diff_runs
from .model.runs import Artifact, LineageGraph, PipelineRun, RunQuery, TaskRun, utcnow
from .store import Store, get_store
from .store.spool import ReplayResult

__all__ = ["Client", "connect"]


class Client:
    """Queries over one store. Listing runs first reaps runs whose lease expired."""

    def __init__(self, store: Store, config: Settings) -> None:
        self.store = store
        self.config = config

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
    ) -> list[TaskRun]:
        self.reap()
        return self.store.list_runs(
            RunQuery(
                pipeline=pipeline,
                status=status,
                name=name,
                pipeline_run_id=pipeline_run_id,
                limit=limit,
                order=order,
            )
        )

    def runs_df(self, **filters: Any):
        """Runs as a pandas DataFrame (needs pandas)."""
        import pandas as pd

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
        return self.store.get_run(ref)

    def pipeline_runs(self, pipeline: str | None = None, limit: int = 100) -> list[PipelineRun]:
        self.reap()
        return self.store.list_pipeline_runs(pipeline, limit)

    def pipeline_run(self, ref: str) -> PipelineRun:
        return self.store.get_pipeline_run(ref)

    def artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        return self.store.list_artifacts(kind, limit)

    def artifact(self, ref: str) -> Artifact:
        return self.store.get_artifact(ref)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        return self.store.lineage(ref, direction, depth)

    def diff(self, a: str, b: str) -> RunDiff:
        return diff_runs(self.run(a), self.run(b))

    def sync(self) -> ReplayResult:
        """Deliver spooled records now."""
        replay = getattr(self.store, "replay_spool", None)
        return replay() if replay else ReplayResult()


def connect(url: str | None = None, **overrides: Any) -> Client:
    """Choose the store for this process (``url`` beats ``TRACKLINE_STORE``) and query it."""
    if url is not None or overrides:
        set_override(store=url, **overrides)
    cfg = settings()
    return Client(get_store(cfg), cfg)
