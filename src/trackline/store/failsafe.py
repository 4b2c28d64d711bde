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

Tracked writes never wait: unless strict, a write is appended to the journal (``journal.py``:
this process's segment file and an in-memory queue) and a background sender delivers it in
batches, one transaction each; what it cannot deliver moves into the spool. Reads first wait
(bounded) until this process's appends, and what other live processes on this machine had
appended, were delivered. Strict mode (or ``TRACKLINE_JOURNAL=0``) keeps writes synchronous.
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
from .journal import BATCH, Journal, flush_all
from .observers import notify_finished
from .protocols import RunStore, SearchStore
from .quarantine import describe, is_permanent_config_error, is_refusal, quarantine
from .segment import others, recover, wait_until_gone
from .spool import ReplayResult, Spool, deliver_batch

__all__ = ["FailSafeStore"]

log = logging.getLogger("trackline")
_REPORTED: set[str] = set()  # permanent configuration errors already reported by this process
LIVE_WAIT_S = 1.0  # how long a read waits for other live processes' journaled writes


def _report_once(key: str, message: str, *args: object) -> None:
    if key not in _REPORTED:
        _REPORTED.add(key)
        log.warning(message, *args)


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
        self.journal = Journal(
            self.spool.path / "journal",
            self._deliver,
            fsync=settings.journal_fsync,
            exit_wait=settings.journal_exit_wait,
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
        """True when writes go through the journal (every store, unless strict)."""
        if self._journal is None:
            self._journal = self.settings.journal and not self.settings.strict
        return self._journal

    def flush(self, timeout: float | None = None) -> bool:
        """Wait (bounded) until this process's journaled writes were delivered (or, with the
        store down, spooled), and deliver what processes that are gone left in the journal;
        True when all of it is in the store."""
        wait = self.settings.journal_read_wait if timeout is None else timeout
        done = flush_all(wait)
        live, orphaned = others(self.journal.segment.folder, self.journal.segment)
        # Other processes on this machine writing here: what they appended before this read
        # is delivered within milliseconds; wait for that (briefly: a stuck one is not waited for).
        wait_until_gone(live, min(wait, LIVE_WAIT_S))
        if not self.circuit_open:
            if orphaned or self.spool.has_pending():
                # spooled during an outage, or left by a process that is gone
                done = self.replay_spool(wait=True).error is None and done
            else:
                with self._replaying:  # a replay in progress (the sender's) finishes first
                    pass
        return done and not self.circuit_open

    def _guarded_write(
        self, record: TaskRun | PipelineRun, write: Callable[[RunStore], None]
    ) -> None:
        if self.journaled():
            try:
                self.journal.append(record)
                return
            except Exception as exc:  # noqa: BLE001 - disk full, a read-only home: write now
                if self.settings.strict:
                    raise
                _report_once(
                    f"journal|{self.spool.path}|{type(exc).__name__}",
                    "trackline: cannot append to the journal in %s (%s: %s); records are "
                    "written to the store in the call instead",
                    self.journal.segment.folder,
                    type(exc).__name__,
                    exc,
                )
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
        reason = describe(exc)
        path = self.spool.put(record)
        quarantine(self.spool.path, path, path.name, reason)
        log.error(
            "trackline: store %s refused record %s; quarantined (see `trackline spool list`): %s",
            self.url,
            record.id[:80],
            reason,
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
                "trackline: store %s unavailable (%s); record spooled to %s",
                self.url,
                describe(exc),
                path,
            )
            return
        with self._lock:
            if self._open:
                return
            self._open = True
        log.warning(
            "trackline: store %s unavailable %d times in a row (%s); records are spooled "
            "to %s until a background probe (every %.0f s) reaches it again",
            self.url,
            self._failures,
            describe(exc),
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
                self.journal.wake(full=True)
                return
            try:
                self.replay_spool()
            except Exception as exc:  # noqa: BLE001
                log.warning("trackline: replay after reconnect failed: %s", exc)

    def _deliver(self, records: list[TaskRun | PipelineRun], full: bool) -> None:
        """The journal's delivery: ``records`` in batches, each record stored, quarantined
        (refused) or moved into the spool (the store is unavailable); ``full``: then deliver
        what the spool and earlier processes' journals hold."""
        start = 0
        while start < len(records) and not self.circuit_open:
            chunk = records[start : start + BATCH]
            try:
                outcomes = deliver_batch(self.backend, chunk)
            except Exception as exc:  # noqa: BLE001 - unavailable: the rest waits in the spool
                self._failures = max(self._failures, self.failure_threshold - 1)
                self._failed(exc, self.spool.path)
                break
            for record, refused in zip(chunk, outcomes, strict=True):
                if refused is not None:
                    self._quarantine(record, refused)
            self._failures = 0
            start += len(chunk)
        for record in records[start:]:
            self.spool.put(record, durable=self.settings.journal_fsync)
        if not self.circuit_open and (full or (start > 0 and self.spool.has_pending())):
            self.replay_spool(wait=True)

    def replay_spool(self, *, wait: bool = False) -> ReplayResult:
        """Deliver the spool, and before that move what processes that are gone left in the
        journal into it; ``wait``: queue behind a replay in progress instead of leaving the
        records to it."""
        if not self._replaying.acquire(blocking=wait):
            return ReplayResult(remaining=len(self.spool.pending()))
        try:
            recover(self.journal.segment.folder, self.spool, self.journal.segment)
            try:
                store = self.backend
            except Exception as exc:  # still unreachable: everything stays spooled
                return ReplayResult(remaining=len(self.spool.pending()), error=describe(exc))
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

    # Reads see what was written before them: ``flush`` first (bounded; past the bound, or with
    # the store down, the read goes ahead without them).
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
        self.journal.close(self.settings.journal_exit_wait)
        if self._backend is not None:
            self._backend.close()
