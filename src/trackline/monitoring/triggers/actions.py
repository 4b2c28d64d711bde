"""Carry out a trigger's action: one performer per action type, all returning what was started.

Every action receives the same payload (policy, rule, episode, idempotency key, reason and
evidence) and passes the idempotency key on, so the receiving system can refuse duplicates too.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import requests

from ...errors import ConfigError, TracklineError
from .policy import Webhook

__all__ = ["Performer", "TriggerError", "perform", "register_action"]


class TriggerError(TracklineError):
    code = "trigger_failed"
    http_status = 502


# type -> performer. The core knows webhooks; orchestrator adapters register theirs in the
# ``trackline.trigger_actions`` entry-point group (name = action type), so the core never
# imports an adapter and a third-party package can add an action the same way.
Performer = Callable[[Any, dict[str, Any], str], dict[str, Any]]
_PERFORMERS: dict[str, Performer] = {}
_HINTS = {
    "airflow_dag_run": "airflow",
    "airflow_asset_event": "airflow",
    "prefect_deployment": "prefect",
    "prefect_event": "prefect",
}


def register_action(action_type: str, performer: Performer, *, replace: bool = False) -> None:
    """Carry out actions of ``action_type`` with ``performer(action, payload, key)``."""
    if action_type in _PERFORMERS and not replace:
        raise ValueError(f"trigger action {action_type!r} is registered already")
    _PERFORMERS[action_type] = performer


def _performer(action_type: str) -> Performer:
    found = _PERFORMERS.get(action_type)
    if found is not None:
        return found
    for ep in entry_points(group="trackline.trigger_actions", name=action_type):
        try:
            found = ep.load()
        except ModuleNotFoundError as exc:
            extra = _HINTS.get(action_type)
            hint = f": pip install 'trackline[{extra}]'" if extra else ""
            raise ConfigError(
                f"trigger action {action_type!r} needs a missing package ({exc.name}){hint}"
            ) from exc
        _PERFORMERS[action_type] = found
        return found
    raise TriggerError(f"no performer for trigger action {action_type!r} is installed")


def perform(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Do it; return the started run / event as a small JSON dict, or raise ``TracklineError``."""
    return _performer(action.type)(action, payload, key)


def _webhook(action: Webhook, payload: dict[str, Any], key: str) -> dict[str, Any]:
    headers = {"Idempotency-Key": key, **action.headers}
    try:
        resp = requests.request(
            action.method, action.url, json=payload, headers=headers, timeout=action.timeout
        )
    except requests.RequestException as exc:
        raise TriggerError(f"webhook {action.url} unreachable: {exc}") from exc
    if not 200 <= resp.status_code < 300:
        raise TriggerError(f"webhook {action.url} answered {resp.status_code}: {resp.text[:300]}")
    out: dict[str, Any] = {"system": "webhook", "url": action.url, "status": resp.status_code}
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and len(resp.content) <= 4096:
        out["response"] = body
    return out


register_action("webhook", _webhook)
