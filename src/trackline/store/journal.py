"""Remote writes never wait: the background sender of an HTTP store's journal.

A tracked call against a team server appends its record to the spool (``spool.py``: the journal
*is* the spool, with its exactly-once replay and quarantine) and returns. This thread sends what
the process appended, in batches, to the store's batch endpoint. The fail-safe wrapper owns the
circuit: when a pass finds the server unavailable the circuit opens and the sender idles until
the probe reaches the server again.

``flush`` waits (bounded) until everything appended before the call was sent: before a read,
so a process reads its own writes, and at interpreter exit.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from .._exit import before_thread_pools_exit
from .spool import ReplayResult

__all__ = ["Sender"]

log = logging.getLogger("trackline")
LINGER_S = 0.005  # after a wake-up, let a burst of calls fill one batch


class Sender:
    def __init__(
        self,
        send: Callable[[bool], ReplayResult],
        failed: Callable[[ReplayResult], None],
        paused: Callable[[], bool],
        exit_wait: float,
    ) -> None:
        self._send = send  # send(own_only) -> result of one pass over the journal
        self._failed = failed
        self._paused = paused  # True while the circuit is open
        self._exit_wait = exit_wait
        self._cond = threading.Condition()
        self._appended = 0  # appends by this process
        self._sent = 0  # appends known sent (or refused and quarantined)
        self._full = True  # the first pass also takes records of earlier processes
        self._thread: threading.Thread | None = None
        self._pid = 0

    def appended(self) -> None:
        with self._cond:
            self._appended += 1
            self._start()
            self._cond.notify_all()

    def wake(self, *, full: bool = False) -> None:
        with self._cond:
            self._full = self._full or full
            self._start()
            self._cond.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until this process's appends so far were sent; False when
        they were not (the circuit is open, or time ran out)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._appended
            if self._sent >= target:
                return True
            self._start()
            self._cond.notify_all()
            while self._sent < target and not self._paused():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return self._sent >= target

    def _start(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        self._pid = os.getpid()  # a forked child has no sender thread: start its own
        self._thread = threading.Thread(target=self._run, name="trackline-journal", daemon=True)
        self._thread.start()
        before_thread_pools_exit(self._at_exit)

    def _run(self) -> None:
        while True:
            with self._cond:
                while (self._sent >= self._appended and not self._full) or self._paused():
                    self._cond.wait(1.0)
                full, self._full = self._full, False
            time.sleep(LINGER_S)
            with self._cond:
                target = self._appended
            try:
                result = self._send(not full)
            except Exception as exc:  # noqa: BLE001 - the sender must outlive any surprise
                log.exception("trackline: journal sender pass failed")
                result = ReplayResult(error=f"{type(exc).__name__}: {exc}", exc=exc)
            if result.error is not None:
                self._failed(result)
                with self._cond:
                    self._full = full or self._full
                continue
            with self._cond:
                self._sent = max(self._sent, target)
                self._cond.notify_all()

    def _at_exit(self) -> None:
        if not self.flush(self._exit_wait):
            log.warning(
                "trackline: %d record(s) wait in the journal; the next process or "
                "`trackline sync` delivers them",
                self._appended - self._sent,
            )
