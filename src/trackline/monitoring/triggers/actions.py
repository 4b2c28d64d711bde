"""Carry out a trigger's action: one function per action type, all returning what was started.

Every action receives the same payload (policy, rule, episode, idempotency key, reason and
evidence) and passes the idempotency key on, so the receiving system can refuse duplicates too.
"""

from __future__ import annotations

from typing import Any

import requests

from ...errors import TracklineError
from .policy import AirflowAssetEvent, AirflowDagRun, PrefectDeployment, PrefectEvent, Webhook

__all__ = ["TriggerError", "perform"]


class TriggerError(TracklineError):
    code = "trigger_failed"
    http_status = 502


def perform(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Do it; return the started run / event as a small JSON dict, or raise ``TracklineError``."""
    if isinstance(action, Webhook):
        return _webhook(action, payload, key)
    if isinstance(action, (AirflowDagRun, AirflowAssetEvent)):
        from ...integrations.airflow.trigger import airflow_token, emit_asset_event, trigger_dag_run

        token = airflow_token(
            action.url,
            username=action.username,
            password=action.password,
            password_env=action.password_env,
            token_env=action.token_env,
            timeout=action.timeout,
        )
        if isinstance(action, AirflowDagRun):
            return trigger_dag_run(
                action.url,
                action.dag_id,
                {**action.conf, "trackline": payload},
                token=token,
                idempotency_key=key,
                timeout=action.timeout,
            )
        return emit_asset_event(
            action.url,
            token=token,
            extra={**action.extra, "trackline": payload},
            asset_id=action.asset_id,
            asset_uri=action.asset_uri,
            asset_name=action.asset_name,
            timeout=action.timeout,
        )
    if isinstance(action, PrefectDeployment):
        from ...integrations.prefect.trigger import run_prefect_deployment

        params = dict(action.parameters)
        if action.evidence_parameter:
            params[action.evidence_parameter] = payload
        return run_prefect_deployment(
            action.deployment, params, idempotency_key=key, api_url=action.api_url
        )
    if isinstance(action, PrefectEvent):
        from ...integrations.prefect.trigger import emit_prefect_event

        return emit_prefect_event(
            action.event, action.resource_id, payload, idempotency_key=key, api_url=action.api_url
        )
    raise TriggerError(f"unknown action {type(action).__name__}")


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
