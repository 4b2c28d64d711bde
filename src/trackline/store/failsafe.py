"""The fail-open wrapper every tracked write goes through (design principle 3).

A write the store refuses (down, locked past the busy timeout, disk full, bad URL) lands in the
spool instead and the user's task carries on; the next successful write replays the spool.
In strict mode (``TRACKLINE_STRICT=1``) the error is raised as ``StoreUnavailable`` instead.
Reads are never hidden: they raise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config import Settings
from ..errors import StoreUnavailable, TracklineError
from ..model.runs import PipelineRun, TaskRun
from .base import Store
from .spool import ReplayResult, Spool

__all__ = ["FailSafeStore"]

log = logging.getLogger("trackline")


class FailSafeStore(Store):
    def __init__(self, settings: Settings, opener: Callable[[], Store]) -> None:
        self.settings = settings
        self.url = settings.store_url
        self.spool = Spool(settings.spool_path)
        self._opener = opener
        self._inner: Store | None = None
        self._lock = threading.Lock()
        self._replaying = threading.Lock()

    @property
    def inner(self) -> Store:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._opener()
        return self._inner

    def _guarded_write(self, record: TaskRun | PipelineRun, write: Callable[[Store], None]) -> None:
        try:
            write(self.inner)
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
                store = self.inner
            except Exception as exc:  # still unreachable: everything stays spooled
                return ReplayResult(
                    remaining=len(self.spool.pending()), error=f"{type(exc).__name__}: {exc}"
                )
            return self.spool.replay(store)
        finally:
            self._replaying.release()

    def write_task_run(self, run: TaskRun) -> None:
        self._guarded_write(run, lambda s: s.write_task_run(run))

    def write_pipeline_run(self, run: PipelineRun) -> None:
        self._guarded_write(run, lambda s: s.write_pipeline_run(run))

    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        try:
            self.inner.heartbeat(task_run_ids, pipeline_run_ids, at)
        except Exception as exc:  # a missed beat only shortens the lease; never worth failing
            if self.settings.strict:
                raise StoreUnavailable(f"heartbeat to {self.url} failed: {exc}") from exc
            log.debug("trackline: heartbeat failed: %s", exc)

    def reap(self, stale_before):
        return self.inner.reap(stale_before)

    def list_runs(self, query):
        return self.inner.list_runs(query)

    def get_run(self, ref):
        return self.inner.get_run(ref)

    def list_pipeline_runs(self, pipeline=None, limit=100):
        return self.inner.list_pipeline_runs(pipeline, limit)

    def get_pipeline_run(self, ref):
        return self.inner.get_pipeline_run(ref)

    def list_artifacts(self, kind=None, limit=100):
        return self.inner.list_artifacts(kind, limit)

    def get_artifact(self, ref):
        return self.inner.get_artifact(ref)

    def lineage(self, ref, direction="upstream", depth=None):
        return self.inner.lineage(ref, direction, depth)

    def __getattr__(self, name: str):
        # Stores grow optional capabilities (registry, monitoring); reads pass straight through.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
