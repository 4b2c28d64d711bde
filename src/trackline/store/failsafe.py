"""The fail-open wrapper every tracked write goes through (design principle 3).

A write the store refuses (down, locked past the busy timeout, disk full, bad URL) lands in the
spool instead and the user's task carries on; the next successful write replays the spool.
In strict mode (``TRACKLINE_STRICT=1``) the error is raised as ``StoreUnavailable`` instead.
Reads are never hidden: they raise.

Only ``RunStore`` is wrapped. Other capabilities (registry, audit, monitoring) are reached through
``trackline.store.capability``, which hands out the backend itself: a promotion or a drift report
that silently landed in a local file would let a pipeline believe something happened that did not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config import Settings
from ..errors import StoreUnavailable, TracklineError
from ..model.runs import TERMINAL, Artifact, LineageGraph, PipelineRun, RunQuery, TaskRun
from .observers import notify_finished
from .protocols import RunStore
from .spool import ReplayResult, Spool

__all__ = ["FailSafeStore"]

log = logging.getLogger("trackline")


class FailSafeStore(RunStore):
    def __init__(self, settings: Settings, opener: Callable[[], RunStore]) -> None:
        self.settings = settings
        self.url = settings.store_url
        self.spool = Spool(settings.spool_path)
        self._opener = opener
        self._backend: RunStore | None = None
        self._lock = threading.Lock()
        self._replaying = threading.Lock()

    @property
    def backend(self) -> RunStore:
        """The store this wrapper writes to, opened on first use."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._opener()
        return self._backend

    def _guarded_write(
        self, record: TaskRun | PipelineRun, write: Callable[[RunStore], None]
    ) -> None:
        try:
            write(self.backend)
        except Exception as exc:
            if self.settings.strict:
                if isinstance(exc, TracklineError):
                    raise
                raise StoreUnavailable(f"could not write to {self.url}: {exc}") from exc
            path = self.spool.put(record)
            log.warning(
                "trackline: store %s unavailable (%s: %s); record spooled to %s",
                self.url,
                type(exc).__name__,
                exc,
                path,
            )
            return
        if self.spool.has_pending():
            self.replay_spool()

    def replay_spool(self) -> ReplayResult:
        if not self._replaying.acquire(blocking=False):
            return ReplayResult(remaining=len(self.spool.pending()))
        try:
            try:
                store = self.backend
            except Exception as exc:  # still unreachable: everything stays spooled
                return ReplayResult(
                    remaining=len(self.spool.pending()), error=f"{type(exc).__name__}: {exc}"
                )
            return self.spool.replay(store)
        finally:
            self._replaying.release()

    def write_task_run(self, run: TaskRun) -> None:
        self._guarded_write(run, lambda s: s.write_task_run(run))
        if run.status in TERMINAL:
            notify_finished("task_run", run.id, self.settings)

    def write_pipeline_run(self, run: PipelineRun) -> None:
        self._guarded_write(run, lambda s: s.write_pipeline_run(run))
        if run.status in TERMINAL:
            notify_finished("pipeline_run", run.id, self.settings)

    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        try:
            self.backend.heartbeat(task_run_ids, pipeline_run_ids, at)
        except Exception as exc:  # a missed beat only shortens the lease; never worth failing
            if self.settings.strict:
                raise StoreUnavailable(f"heartbeat to {self.url} failed: {exc}") from exc
            log.debug("trackline: heartbeat failed: %s", exc)

    def reap(self, stale_before: datetime) -> list[str]:
        return self.backend.reap(stale_before)

    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        return self.backend.list_runs(query)

    def get_run(self, ref: str) -> TaskRun:
        return self.backend.get_run(ref)

    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]:
        return self.backend.list_pipeline_runs(pipeline, limit)

    def get_pipeline_run(self, ref: str) -> PipelineRun:
        return self.backend.get_pipeline_run(ref)

    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        return self.backend.list_artifacts(kind, limit)

    def get_artifact(self, ref: str) -> Artifact:
        return self.backend.get_artifact(ref)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        return self.backend.lineage(ref, direction, depth)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
