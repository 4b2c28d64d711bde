"""Callbacks told about runs that start and runs that finish.

A feature package above the store registers them in entry-point groups, so the store and
capture layers never import it:

- ``trackline.finished_runs``: ``(kind, run_id, settings)`` for every finished run handed to the
  store (written or spooled); kind ``"task_run"`` or ``"pipeline_run"``.
- ``trackline.started_runs``: ``(kind, describe, settings)`` once a recorder knows what a live
  run starts with (its start time, its arguments). ``describe()`` returns ``(record, parent)``:
  the running ``TaskRun`` or ``PipelineRun`` as it stands then and the parent ``TaskRun`` (or
  ``None``), neither of which the store may hold yet. It is a callable so that a run nobody
  listens to (emission off) pays nothing for the record.

Callbacks must be cheap (queue work, don't do it) and are never allowed to fail a run: their
errors are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from ..config import Settings

__all__ = ["notify_finished", "notify_started", "register_observer"]

log = logging.getLogger("trackline")

Observer = Callable[[str, str, Settings], None]
_loaded: dict[str, list[Callable[..., None]]] = {}
_extra: list[Observer] = []


def register_observer(fn: Observer) -> None:
    _extra.append(fn)


def _group(name: str) -> list[Callable[..., None]]:
    found = _loaded.get(name)
    if found is None:
        found = []
        for ep in entry_points(group=name):
            try:
                found.append(ep.load())
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break tracking
                log.warning("trackline: run observer %s failed to load: %s", ep.name, exc)
        _loaded[name] = found
    return found


def _call(fns: list[Callable[..., None]], *args: Any) -> None:
    for fn in fns:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001
            log.warning("trackline: run observer %r failed: %s: %s", fn, type(exc).__name__, exc)


def notify_finished(kind: str, run_id: str, settings: Settings) -> None:
    _call([*_extra, *_group("trackline.finished_runs")], kind, run_id, settings)


def notify_started(kind: str, describe: Callable[[], tuple[Any, Any]], settings: Settings) -> None:
    _call(_group("trackline.started_runs"), kind, describe, settings)
