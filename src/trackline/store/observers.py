"""Callbacks told about every finished run handed to the store (written or spooled).

A feature package above the store registers one in the ``trackline.finished_runs`` entry-point
group (a callable ``(kind, run_id, settings)``, kind ``"task_run"`` or ``"pipeline_run"``), so
the store layer never imports it. Callbacks must be cheap (queue work, don't do it) and are
never allowed to fail a write: their errors are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from ..config import Settings

__all__ = ["notify_finished", "register_observer"]

log = logging.getLogger("trackline")

Observer = Callable[[str, str, Settings], None]
_loaded: list[Observer] | None = None
_extra: list[Observer] = []


def register_observer(fn: Observer) -> None:
    _extra.append(fn)


def _observers() -> list[Observer]:
    global _loaded
    if _loaded is None:
        found: list[Observer] = []
        for ep in entry_points(group="trackline.finished_runs"):
            try:
                found.append(ep.load())
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break tracking
                log.warning("trackline: run observer %s failed to load: %s", ep.name, exc)
        _loaded = found
    return _loaded


def notify_finished(kind: str, run_id: str, settings: Settings) -> None:
    for fn in (*_extra, *_observers()):
        try:
            fn(kind, run_id, settings)
        except Exception as exc:  # noqa: BLE001
            log.warning("trackline: run observer %r failed: %s: %s", fn, type(exc).__name__, exc)
