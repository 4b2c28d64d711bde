"""Start Airflow 3 work from a trigger over its public REST API (plain HTTP, no Airflow import).

``POST /auth/token`` gives a JWT; ``POST /api/v2/dags/{dag_id}/dagRuns`` starts a run with the
reason and evidence in ``conf``; ``POST /api/v2/assets/events`` records an Asset event that
asset-scheduled DAGs react to. The run id is derived from the trigger's idempotency key, so a
retried firing finds its run (409) instead of starting a second one.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import requests

from ...errors import ConfigError, TracklineError
from .identity import pipeline_run_id

__all__ = [
    "AirflowTriggerError",
    "airflow_token",
    "emit_asset_event",
    "perform_asset_event",
    "perform_dag_run",
    "run_id_for",
    "trigger_dag_run",
]


class AirflowTriggerError(TracklineError):
    code = "trigger_failed"
    http_status = 502


def run_id_for(idempotency_key: str) -> str:
    return "trackline__" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def airflow_token(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    password_env: str | None = None,
    token_env: str | None = None,
    timeout: float = 30.0,
) -> str:
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise ConfigError(f"environment variable {token_env} (the Airflow token) is not set")
        return token
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise ConfigError(
                f"environment variable {password_env} (the Airflow password) is not set"
            )
    if username:
        resp = _call(
            "POST",
            f"{url}/auth/token",
            json={"username": username, "password": password or ""},
            timeout=timeout,
        )
    else:  # simple auth manager with all_admins: a token without credentials
        resp = _call("GET", f"{url}/auth/token", timeout=timeout)
    token = resp.json().get("access_token")
    if not token:
        raise AirflowTriggerError(f"{url}/auth/token answered without an access_token")
    return token


def trigger_dag_run(
    url: str,
    dag_id: str,
    conf: dict[str, Any],
    *,
    token: str,
    idempotency_key: str,
    timeout: float = 30.0,
) -> dict[str, Any]:
    run_id = run_id_for(idempotency_key)
    body = {"dag_run_id": run_id, "logical_date": None, "conf": conf}
    endpoint = f"{url}/api/v2/dags/{dag_id}/dagRuns"
    resp = _call("POST", endpoint, json=body, token=token, timeout=timeout, ok=(200, 201, 409))
    if resp.status_code == 409:  # this key already started its run (an earlier, half-recorded try)
        resp = _call("GET", f"{endpoint}/{run_id}", token=token, timeout=timeout)
    data = resp.json()
    started = data.get("dag_run_id", run_id)
    return {
        "system": "airflow",
        "dag_id": dag_id,
        "dag_run_id": started,
        # The id trackline records this dag run under, so a firing links to what it produced.
        "pipeline_run_id": pipeline_run_id(dag_id, started),
        "state": data.get("state"),
        "url": f"{url}/dags/{dag_id}/runs/{run_id}",
    }


def emit_asset_event(
    url: str,
    *,
    token: str,
    extra: dict[str, Any],
    asset_id: int | None = None,
    asset_uri: str | None = None,
    asset_name: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    if asset_id is None:
        asset_id = _find_asset(url, token, asset_uri, asset_name, timeout)
    resp = _call(
        "POST",
        f"{url}/api/v2/assets/events",
        json={"asset_id": asset_id, "extra": extra},
        token=token,
        timeout=timeout,
    )
    data = resp.json()
    return {
        "system": "airflow",
        "asset_id": asset_id,
        "asset_event_id": data.get("id"),
        "timestamp": data.get("timestamp"),
    }


def _find_asset(url: str, token: str, uri: str | None, name: str | None, timeout: float) -> int:
    params = {"uri_pattern": uri} if uri else {"name_pattern": name}
    resp = _call(
        "GET", f"{url}/api/v2/assets", params={**params, "limit": 100}, token=token, timeout=timeout
    )
    for asset in resp.json().get("assets", []):
        if (uri and asset.get("uri") == uri) or (name and asset.get("name") == name):
            return int(asset["id"])
    raise AirflowTriggerError(
        f"Airflow at {url} has no asset with {'uri' if uri else 'name'} {uri or name!r}"
    )


def _call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    ok: tuple[int, ...] = (200, 201),
    timeout: float = 30.0,
    **kw: Any,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        resp = requests.request(method, url, headers=headers, timeout=timeout, **kw)
    except requests.RequestException as exc:
        raise AirflowTriggerError(f"cannot reach Airflow at {url}: {exc}") from exc
    if resp.status_code not in ok:
        raise AirflowTriggerError(
            f"Airflow {method} {url} answered {resp.status_code}: {resp.text[:300]}"
        )
    return resp


def perform_dag_run(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``airflow_dag_run`` trigger action (registered by entry point)."""
    return trigger_dag_run(
        action.url,
        action.dag_id,
        {**action.conf, "trackline": payload},
        token=_token_for(action),
        idempotency_key=key,
        timeout=action.timeout,
    )


def perform_asset_event(action: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``airflow_asset_event`` trigger action (registered by entry point)."""
    return emit_asset_event(
        action.url,
        token=_token_for(action),
        extra={**action.extra, "trackline": payload},
        asset_id=action.asset_id,
        asset_uri=action.asset_uri,
        asset_name=action.asset_name,
        timeout=action.timeout,
    )


def _token_for(action: Any) -> str:
    return airflow_token(
        action.url,
        username=action.username,
        password=action.password,
        password_env=action.password_env,
        token_env=action.token_env,
        timeout=action.timeout,
    )
