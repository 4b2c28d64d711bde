"""Identity from the orchestrator running this code, found through entry points.

An orchestrator adapter registers a provider in the ``trackline.ambient`` entry-point group: a
callable returning a dict (``pipeline``, ``pipeline_run_id``, ``run_id``, ``name``,
``external_ids``, optionally ``injected``: argument name → value the orchestrator passed in,
not recorded as an input) when its orchestrator is running the current code, else ``None``.
This is how
a plain ``@tracked_task`` under Airflow's ``@task`` gets Airflow's identities without the core
importing Airflow. Providers must be cheap and must not import their orchestrator unless it is
already imported (check ``sys.modules``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ambient_identity", "register_provider"]

log = logging.getLogger("trackline")

Provider = Callable[[], "dict[str, Any] | None"]
_providers: list[Provider] | None = None
_extra: list[Provider] = []


def register_provider(fn: Provider) -> None:
    _extra.append(fn)


def _load() -> list[Provider]:
    global _providers
    if _providers is None:
        found: list[Provider] = []
        for ep in entry_points(group="trackline.ambient"):
            try:
                found.append(ep.load())
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break tracking
                log.warning("trackline: ambient provider %s failed to load: %s", ep.name, exc)
        _providers = found
    return _providers


def ambient_identity() -> dict[str, Any] | None:
    for fn in (*_extra, *_load()):
        try:
            found = fn()
        except Exception as exc:  # noqa: BLE001
            log.debug("trackline: ambient provider %r failed: %s", fn, exc)
            continue
        if found:
            return found
    return None
