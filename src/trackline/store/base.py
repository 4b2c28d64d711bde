"""The one store interface every backend implements (SQL, HTTP, no-op).

Writes are idempotent: records carry client-generated ids, so writing the same record twice
(a spool replay, a retried request, a decorator and a listener describing the same task run)
never duplicates anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from ..model.runs import Artifact, LineageGraph, PipelineRun, RunQuery, TaskRun

__all__ = ["Store"]


class Store(ABC):
    url: str

    # -- writes ---------------------------------------------------------------------------
    @abstractmethod
    def write_task_run(self, run: TaskRun) -> None:
        """Insert or merge one task run with its params, artifacts, events, metrics, atomically.

        Merge rule when the id exists: a terminal status beats ``crashed`` beats ``running``;
        fields the incoming record leaves empty keep their stored value; child rows are unioned.
        """

    @abstractmethod
    def write_pipeline_run(self, run: PipelineRun) -> None:
        """Insert or merge one pipeline run (same status rule as task runs)."""

    @abstractmethod
    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        """Extend the lease of running records."""

    @abstractmethod
    def reap(self, stale_before: datetime) -> list[str]:
        """Mark running records whose lease expired (or whose local process died) ``crashed``."""

    # -- reads ----------------------------------------------------------------------------
    @abstractmethod
    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        """Run summaries (no params, artifacts or metrics), newest first by default."""

    @abstractmethod
    def get_run(self, ref: str) -> TaskRun:
        """One run in full; ``ref`` is an id or a unique prefix of one."""

    @abstractmethod
    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]: ...

    @abstractmethod
    def get_pipeline_run(self, ref: str) -> PipelineRun: ...

    @abstractmethod
    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]: ...

    @abstractmethod
    def get_artifact(self, ref: str) -> Artifact:
        """One artifact by digest, unique digest prefix, or name."""

    @abstractmethod
    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        """The closure from a run or artifact, expanding each node once, set-based per hop."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections."""
