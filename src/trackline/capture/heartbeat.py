"""One background thread per process keeps leases of long runs and samples their resources.

Short calls never touch it beyond a dict insert and delete: a call that ends before its first
tick is written once, at the end. A call still going after ``FIRST_BEAT_S`` (at the latest one
tick later, so within a second) gets a "running" record — visible, and reapable by the lease if
the process is killed — and from then on a heartbeat every ``heartbeat_interval``; calls past
``sample_after`` get resource samples every ``sample_interval``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Protocol

__all__ = ["Beating", "register", "unregister"]

log = logging.getLogger("trackline")
# Age at which a run first gets its "running" record (a process killed later leaves a trace).
FIRST_BEAT_S = 0.25
# The first beat's time: runs with default settings never need to wake the thread.
_IDLE_TICK = FIRST_BEAT_S


class Beating(Protocol):
    started_mono: float

    def sample(self) -> None: ...
    def beat(self) -> None: ...
    def intervals(
        self,
    ) -> tuple[float, float, float]:  # sample_interval, sample_after, heartbeat_interval
        ...


class _Heart:
    def __init__(self) -> None:
        self.active: dict[int, Beating] = {}
        self.last_beat: dict[int, float] = {}
        self.last_sample: dict[int, float] = {}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.tick = _IDLE_TICK

    def ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(
                target=self.loop, name="trackline-heartbeat", daemon=True
            )
            self.thread.start()

    def tick_length(self) -> float:
        with self.lock:
            items = list(self.active.values())
        if not items:
            return _IDLE_TICK
        shortest = min(min(i.intervals()[0], i.intervals()[2]) for i in items)
        # Ticks while runs are active are short enough to write the first record on time.
        return max(0.02, min(shortest, 2 * FIRST_BEAT_S) / 2)

    def loop(self) -> None:
        while True:
            self.tick = self.tick_length()
            self.wake.wait(self.tick)
            self.wake.clear()
            now = time.monotonic()
            with self.lock:
                items = list(self.active.items())
            for key, item in items:
                try:
                    sample_every, sample_after, beat_every = item.intervals()
                    age = now - item.started_mono
                    if (
                        age >= sample_after
                        and now - self.last_sample.get(key, item.started_mono) >= sample_every
                    ):
                        self.last_sample[key] = now
                        item.sample()
                    last = self.last_beat.get(key)
                    if (last is None and age >= min(beat_every, FIRST_BEAT_S)) or (
                        last is not None and now - last >= beat_every
                    ):
                        self.last_beat[key] = now
                        item.beat()
                except Exception as exc:  # noqa: BLE001 - the thread must outlive any one run
                    log.debug("trackline: heartbeat of %r failed: %s", item, exc)


_heart = _Heart()


def register(item: Beating) -> None:
    with _heart.lock:
        _heart.active[id(item)] = item
    _heart.ensure_thread()
    sample_every, _, beat_every = item.intervals()
    if min(sample_every, beat_every, 2 * FIRST_BEAT_S) / 2 < _heart.tick:
        _heart.wake.set()  # the thread sleeps longer than this run needs: re-plan now


def unregister(item: Beating) -> None:
    with _heart.lock:
        _heart.active.pop(id(item), None)
        _heart.last_beat.pop(id(item), None)
        _heart.last_sample.pop(id(item), None)


def _after_fork() -> None:
    global _heart
    _heart = _Heart()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
