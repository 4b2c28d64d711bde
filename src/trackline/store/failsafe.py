"""The fail-open wrapper every tracked write goes through (design principle 3).

A write the store refuses (down, locked past the busy timeout, disk full, bad URL) lands in the
spool instead and the user's task carries on; the next successful write replays the spool.
In strict mode (``TRACKLINE_STRICT=1``) the error is raised as ``StoreUnavailable`` instead.
Reads are never hidden: they raise.

Fail fast, deliver later: after ``failure_threshold`` consecutive failures the circuit opens and
writes go straight to the spool (no network, no retries) while a background thread probes the
store; the first successful probe closes the circuit and replays the spool. A permanent
configuration error (an unknown URL scheme, a missing driver) is reported once per process with
its fix, and records spool quietly until the configuration is fixed. A record the store refuses
as invalid is quarantined at once (``quarantine.py``), never left to block the spool.

Remote writes never wait: against a store that asks for it (``HttpStore.journal_writes``) a
write is appended to the spool, which then serves as the journal, and a background sender
(``journal.py``) delivers it in batches; reads first wait (bounded) until this process's appends
were sent. Strict mode keeps every write synchronous.

Only ``RunStore`` is wrapped. Other capabilities (registry, audit, monitoring) are reached through
``trackline.store.capability``, which hands out the backend itself: a promotion or a drift report
that silently landed in a local file would let a pipeline believe something happened that did not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config import Settings
from ..errors import ConfigError, StoreUnavailable, TracklineError
from ..model.runs import TERMINAL, Artifact, LineageGraph, PipelineRun, RunQuery, TaskRun
from ..query.spec import Search, SearchResult
from .journal import Sender
from .observers import notify_finished
from .protocols import RunStore, SearchStore
from .quarantine import is_permanent_config_error, is_refusal, quarantine
from .spool import ReplayResult, Spool

__all__ = ["FailSafeStore"]

log = logging.getLogger("trackline")
_REPORTED: set[str] = set()  # permanent configuration errors already reported by this process


class FailSafeStore(RunStore):
    def __init__(
        self,
        settings: Settings,
        opener: Callable[[], RunStore],
        *,
        failure_threshold: int = 2,
        probe_interval: float = 5.0,
    ) -> None:
        self.settings = settings
        self.url = settings.store_url
        self.spool = Spool(settings.spool_path)
        self._opener = opener
        self._backend: RunStore | None = None
        self._lock = threading.Lock()
        self._replaying = threading.Lock()
        self.failure_threshold = failure_threshold
        self.probe_interval = probe_interval
        self._failures = 0
        self._open = False  # the circuit: True while writes go straight to the spool
        self._permanent: str | None = None
        self._prober: threading.Thread | None = None
        self._journal: bool | None = None  # decided on the first write
        self.sender = Sender(
            lambda own: self.replay_spool(wait=True, own=own),
            self._send_failed,
            lambda: self.circuit_open,
            settings.journal_exit_wait,
        )

    @property
    def circuit_open(self) -> bool:
        return self._open or self._permanent is not None

    @property
    def backend(self) -> RunStore:
        """The store this wrapper writes to, opened on first use."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._opener()
        return self._backend

    def journaled(self) -> bool:
        """True when writes go through the journal (an HTTP store, not strict)."""
        if self._journal is None:
            try:
                wanted = getattr(self.backend, "journal_writes", False)
            except Exception:  # noqa: BLE001 - cannot open: the synchronous path reports it
                return False
            self._journal = bool(wanted) and not self.settings.strict
        return self._journal

    def flush(self, timeout: float | None = None) -> bool:
        """Wait (bounded) until this process's journaled writes were sent; True when they
        were."""
        if not self._journal:
            return True
        wait = self.settings.journal_read_wait if timeout is None else timeout
        return self.sender.flush(wait)

    def _guarded_write(
        self, record: TaskRun | PipelineRun, write: Callable[[RunStore], None]
    ) -> None:
        if self.journaled():
            self.spool.put(record, durable=self.settings.journal_fsync)
            self.sender.appended()
            return
        if self.circuit_open:
            if self.settings.strict:
                raise StoreUnavailable(
                    f"store {self.url} is unavailable: {self._permanent or 'circuit open'}"
                )
            self.spool.put(record, durable=False)
            return
        try:
            write(self.backend)
        except Exception as exc:
            if self.settings.strict:
                if isinstance(exc, TracklineError):
                    raise
                raise StoreUnavailable(f"could not write to {self.url}: {exc}") from exc
            if is_refusal(exc):
                self._failures = 0
                self._quarantine(record, exc)
                return
            path = self.spool.put(record)
            self._failed(exc, path)
            return
        self._failures = 0
        if self.spool.has_pending():
            self.replay_spool()

    def _quarantine(self, record: TaskRun | PipelineRun, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        path = self.spool.put(record)
        quarantine(self.spool.path, path, path.name, reason)
        log.error(
            "trackline: store %s refused record %s; quarantined (see `trackline spool list`): %s",
            self.url,
            record.id[:80],
            reason[:1000],
        )
        self.spool.record_refusal(self.backend, record, exc)

    def _failed(self, exc: Exception, path) -> None:
        if is_permanent_config_error(exc):
            self._permanent = f"{type(exc).__name__}: {exc}"
            key = f"{self.url}|{self._permanent}"
            if key not in _REPORTED:
                _REPORTED.add(key)
                log.error(
                    "trackline: store %s can never work as configured (%s). Fix TRACKLINE_STORE "
                    "(or install the missing package); until then every record is spooled to %s "
                    "and `trackline sync` delivers them afterwards.",
                    self.url,
                    self._permanent,
                    self.spool.path,
                )
            return
        self._failures += 1
        if self._failures < self.failure_threshold:
            log.warning(
                "trackline: store %s unavailable (%s: %s); record spooled to %s",
                self.url,
                type(exc).__name__,
                exc,
                path,
            )
            return
        with self._lock:
            if self._open:
                return
            self._open = True
        log.warning(
            "trackline: store %s unavailable %d times in a row (%s: %s); records go straight "
            "to the spool %s until a background probe (every %.0f s) reaches it again",
            self.url,
            self._failures,
            type(exc).__name__,
            exc,
            self.spool.path,
            self.probe_interval,
        )
        self._prober = threading.Thread(target=self._probe, name="trackline-probe", daemon=True)
        self._prober.start()

    def _probe(self) -> None:
        while self._open:
            time.sleep(self.probe_interval)
            try:
                self.backend.list_runs(RunQuery(limit=1))
            except Exception as exc:  # noqa: BLE001 - still down: keep the circuit open
                log.debug("trackline: probe of %s failed: %s", self.url, exc)
                continue
            self._failures = 0
            self._open = False
            log.warning("trackline: store %s reachable again; delivering the spool", self.url)
            if self._journal:
                self.sender.wake(full=True)
                return
            try:
                self.replay_spool()
            except Exception as exc:  # noqa: BLE001
                log.warning("trackline: replay after reconnect failed: %s", exc)

    def _send_failed(self, result: ReplayResult) -> None:
        """The sender found the store unavailable: open the circuit at once (the HTTP client
        has retried already, and nobody waits for this write)."""
        self._failures = max(self._failures, self.failure_threshold - 1)
        exc = result.exc or StoreUnavailable(result.error or "unavailable")
        self._failed(exc, self.spool.path)

    def replay_spool(self, *, wait: bool = False, own: bool = False) -> ReplayResult:
        """Deliver the spool (``own``: only this process's records); ``wait``: queue behind a
        replay in progress instead of leaving the records to it."""
        if not self._replaying.acquire(blocking=wait):
            return ReplayResult(remaining=len(self.spool.pending()))
        try:
            try:
                store = self.backend
            except Exception as exc:  # still unreachable: everything stays spooled
                return ReplayResult(
                    remaining=len(self.spool.pending()), error=f"{type(exc).__name__}: {exc}"
                )
            return self.spool.replay(store, own=own)
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
        if self.circuit_open:
            return  # a missed beat only shortens the lease
        try:
            self.backend.heartbeat(task_run_ids, pipeline_run_ids, at)
        except Exception as exc:  # a missed beat only shortens the lease; never worth failing
            if self.settings.strict:
                raise StoreUnavailable(f"heartbeat to {self.url} failed: {exc}") from exc
            log.debug("trackline: heartbeat failed: %s", exc)

    def reap(self, stale_before: datetime) -> list[str]:
        return self.backend.reap(stale_before)

    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        self.flush()
        return self.backend.list_runs(query)

    def get_run(self, ref: str) -> TaskRun:
        self.flush()
        return self.backend.get_run(ref)

    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]:
        self.flush()
        return self.backend.list_pipeline_runs(pipeline, limit)

    def get_pipeline_run(self, ref: str) -> PipelineRun:
        self.flush()
        return self.backend.get_pipeline_run(ref)

    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]:
        self.flush()
        return self.backend.list_artifacts(kind, limit)

    def get_artifact(self, ref: str) -> Artifact:
        self.flush()
        return self.backend.get_artifact(ref)

    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        self.flush()
        return self.backend.lineage(ref, direction, depth)

    # Reads see this process's own writes: the journal is flushed first (bounded; past the
    # bound, or with the circuit open, the read goes ahead without them).
    # Searches are reads: forwarded to the backend, never spooled, errors raised.
    def search_runs(self, search: Search) -> SearchResult:
        return self._searcher().search_runs(search)

    def search_pipelines(self, search: Search) -> SearchResult:
        return self._searcher().search_pipelines(search)

    def _searcher(self) -> SearchStore:
        self.flush()
        backend = self.backend
        if not isinstance(backend, SearchStore):
            raise ConfigError(f"the store {self.url!r} has no search")
        return backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
