"""The background uploader: tracked tasks hand it jobs and return at once.

One daemon thread per process and artifact store drains the durable queue. Values that exist
only in memory (a DataFrame to keep as Parquet) are serialised by this thread too, not by the
task. At interpreter exit the process waits (at most ``TRACKLINE_UPLOAD_EXIT_WAIT`` seconds) for
the queue to empty; whatever is left — or could not be delivered because the store is
unreachable — stays queued on disk for ``trackline sync`` or the next process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._exit import before_thread_pools_exit
from ..config import Settings, settings
from .factory import blob_store
from .queue import DrainResult, UploadQueue

__all__ = ["Uploader", "uploader", "queue_for"]

log = logging.getLogger("trackline.blobs")

Stager = Callable[[], "dict[str, Any] | None"]
# After the store failed, later jobs of this process are only queued (not retried) for this
# long: a task run every second must not hammer an unreachable store.
RETRY_AFTER_S = 30.0


def queue_for(config: Settings, store: Any) -> UploadQueue:
    """The queue of one artifact store, under the trackline home (one folder per store URL)."""
    key = hashlib.sha256(store.url.encode()).hexdigest()[:12]
    return UploadQueue(config.home / "uploads" / key)


class Uploader:
    def __init__(self, store: Any, queue: UploadQueue) -> None:
        self.store, self.queue = store, queue
        self._stagers: list[Stager] = []
        self._cond = threading.Condition()
        self._busy = False
        self._wake = False
        self._thread: threading.Thread | None = None
        self._failed_at: float | None = None
        self.last: DrainResult | None = None

    def submit(self, job: dict[str, Any]) -> None:
        """Queue a job durably (before returning), then let the thread upload it."""
        self.queue.put(job)
        self._kick()

    def submit_value(self, stager: Stager) -> None:
        """Queue work that first serialises an in-memory value (done on the worker thread)."""
        with self._cond:
            self._stagers.append(stager)
        self._kick()

    def _kick(self) -> None:
        with self._cond:
            self._wake = True
            self._cond.notify_all()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="trackline-uploads", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wake:
                    self._cond.wait()
                self._wake = False
                self._busy = True
                stagers, self._stagers = self._stagers, []
            try:
                for stage in stagers:
                    try:
                        job = stage()
                    except Exception as exc:  # noqa: BLE001 - a value we cannot serialise
                        log.warning("trackline: could not keep a value: %s", exc)
                        continue
                    if job is not None:
                        self.queue.put(job)
                if self._failed_at and time.monotonic() - self._failed_at < RETRY_AFTER_S:
                    continue  # queued on disk; `trackline sync` or a later process delivers
                self.last = self.queue.drain(self.store)
                self._failed_at = time.monotonic() if self.last.error else None
                if self.last.error:
                    log.warning(
                        "trackline: artifact store %s unavailable (%s); %d upload(s) stay "
                        "queued for `trackline sync`",
                        self.store.url,
                        self.last.error,
                        self.last.remaining,
                    )
            except Exception as exc:  # noqa: BLE001 - never let the thread die silently
                log.warning("trackline: upload worker error: %s", exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def idle(self) -> bool:
        return not self._busy and not self._wake and not self._stagers

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker is idle (queue drained or store unreachable)."""
        with self._cond:
            return self._cond.wait_for(self.idle, timeout)


_uploaders: dict[tuple[int, str], Uploader] = {}
_lock = threading.Lock()
_exit_registered = False


def uploader(config: Settings | None = None) -> Uploader:
    """The process's uploader for the artifact store of ``config``."""
    global _exit_registered
    cfg = config or settings()
    store = blob_store(cfg)
    key = (os.getpid(), store.url)
    found = _uploaders.get(key)
    if found is None:
        with _lock:
            found = _uploaders.get(key)
            if found is None:
                found = _uploaders[key] = Uploader(store, queue_for(cfg, store))
                if not _exit_registered:
                    _register_exit_wait()
                    _exit_registered = True
    return found


def _register_exit_wait() -> None:
    # object-store clients (s3fs/aiohttp) resolve names on a thread pool
    before_thread_pools_exit(_wait_at_exit)


def _wait_at_exit() -> None:
    wait = settings().upload_exit_wait
    for (pid, _), up in list(_uploaders.items()):
        if pid == os.getpid() and not up.wait(wait):
            log.warning("trackline: uploads still queued at exit; run `trackline sync`")


def staging_dir(config: Settings) -> Path:
    return config.home / "staged"  # serialised in-memory values waiting for upload
