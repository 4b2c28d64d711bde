"""Tracked writes never wait: the journal between a tracked call and its store.

A write appends the record to this process's segment file (``segment.py``: one line, one
``write``) and to an in-memory queue, and returns. A background thread
(``trackline-journal``) delivers the queue in batches — after a 5 ms pause that lets a burst
fill one batch, or at once when ``BATCH`` records wait — through ``deliver``, which writes them
in one transaction, quarantines what the store refuses and moves into the spool what it cannot
deliver now. Then the delivered segment is deleted.

``flush`` waits (bounded) until everything appended before the call was delivered: before a
read, so a process reads its own writes, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from .._exit import before_thread_pools_exit
from ..model.runs import PipelineRun, TaskRun
from .segment import Segment

__all__ = ["Journal", "flush_all"]

log = logging.getLogger("trackline")
LINGER_S = 0.005  # after a wake-up, let a burst of calls fill one batch
BATCH = 100  # records that wake the sender at once (and the most it sends per transaction)
_JOURNALS: weakref.WeakSet[Journal] = weakref.WeakSet()

Record = TaskRun | PipelineRun


class Journal:
    def __init__(
        self,
        folder: Path,
        deliver: Callable[[list[Record], bool], None],
        *,
        fsync: bool,
        exit_wait: float,
    ) -> None:
        self.segment = Segment(folder, fsync)
        self._deliver = deliver  # deliver(records, full): stored, quarantined or spooled
        self._exit_wait = exit_wait
        self._cond = threading.Condition()
        self._queue: list[Record] = []
        self._appended = 0  # appends by this process
        self._sent = 0  # appends delivered (or quarantined, or moved into the spool)
        self._full = True  # the first pass also delivers what earlier processes left
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pid = 0
        _JOURNALS.add(self)

    def append(self, record: Record) -> None:
        with self._cond:
            self._closed = False
            if self._pid != os.getpid() or self._thread is None:
                self._start()
            self.segment.append(record)
            self._queue.append(record)
            self._appended += 1
            if len(self._queue) == 1 or len(self._queue) >= BATCH:
                self._cond.notify_all()

    def wake(self, *, full: bool = False) -> None:
        with self._cond:
            self._full = self._full or full
            self._start()
            self._cond.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until this process's appends so far were delivered (or,
        with the store down, moved into the spool); False when time ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._appended
            if self._sent >= target:
                return True
            self._cond.notify_all()
            while self._sent < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return self._sent >= target

    def close(self, timeout: float) -> bool:
        """Deliver what waits (up to ``timeout`` s) and let the thread end; True when all of
        it was delivered. A later append starts the thread again."""
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        return done

    @property
    def waiting(self) -> int:
        return self._appended - self._sent

    def _start(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        if self._pid != os.getpid():  # once per process: the exit hooks
            before_thread_pools_exit(self._at_exit)
            atexit.register(self._at_exit)  # Airflow's task runner runs these, then _exit
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="trackline-journal", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._full:
                    if self._closed:  # under the lock: the next append starts a new thread
                        self._thread = None
                        return
                    self._cond.wait(1.0)
                if len(self._queue) < BATCH:
                    self._cond.wait(LINGER_S)
                full, self._full = self._full, False
                batch, self._queue = self._queue, []
                segment = self.segment.rotate()
                target = self._sent + len(batch)
            try:
                self._deliver(batch, full)
            except Exception:  # noqa: BLE001 - the sender must outlive any surprise
                log.exception("trackline: journal delivery failed; its segment is kept")
                if segment is not None:  # renamed so that the next recovery takes it
                    segment.rename(segment.with_name("failed" + segment.name))
                segment = None
            if segment is not None:
                segment.unlink(missing_ok=True)
            with self._cond:
                self._sent = max(self._sent, target)
                self._cond.notify_all()

    def _at_exit(self) -> None:
        if self._pid == os.getpid() and not self.flush(self._exit_wait):
            log.warning(
                "trackline: %d record(s) wait in the journal; the next process or "
                "`trackline sync` delivers them",
                self.waiting,
            )


def _after_fork_in_child() -> None:
    # A lock another thread held at the fork stays held forever in the child, and the parent's
    # queue is the parent's to deliver: the child starts afresh.
    for journal in list(_JOURNALS):
        journal._cond = threading.Condition()
        journal._queue, journal._appended, journal._sent = [], 0, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def flush_all(timeout: float) -> bool:
    """Flush every journal of this process (reads through one store see writes made through
    another configuration of the same process)."""
    return all(j.flush(timeout) for j in list(_JOURNALS))
