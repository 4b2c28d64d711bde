"""Retraining triggers against a real Prefect 3 server on loopback.

One ``prefect server start`` per session in a temporary PREFECT_HOME. A deployment is registered
through the Prefect client; the trigger must create exactly one flow run of it per drift
episode (no worker is needed: the run exists, scheduled, as soon as the API accepts it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

import trackline
from trackline.monitoring.triggers import evaluate_policy, parse_policy

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect_home")
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(360):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}"
                )
            try:
                if requests.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("prefect server did not come up in 180 s")
        yield api
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def deployment(prefect_api, monkeypatch):
    """A deployment ``retrain-churn/on-drift`` registered on the server; yields its id."""
    # Settings, not environment variables: Prefect reads its environment once, at import, and
    # other test modules may have imported it already.
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

    from prefect import flow

    @flow(name="retrain-churn")
    def retrain(team: str = "ml", trigger: dict | None = None) -> str:
        return team

    # Flow logs stay local: nothing left to flush to the API after the server stops.
    with temporary_settings(
        updates={PREFECT_API_URL: prefect_api, PREFECT_LOGGING_TO_API_ENABLED: False}
    ):
        with get_client(sync_client=True) as client:
            flow_id = client.create_flow(retrain)
            deployment_id = client.create_deployment(flow_id=flow_id, name="on-drift")
        yield deployment_id


def _batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "y": rng.normal(0, 1, n) + shift})


@trackline.tracked_task(name="train")
def train(data: pd.DataFrame) -> int:
    return len(data)


@trackline.tracked_task(name="score")
def score(batch: pd.DataFrame) -> int:
    return len(batch)


def _rule(action: dict) -> dict:
    return {
        "name": "drift",
        "when": {"drift": {"reference": "task:train/data", "current": "task:score/batch@last"}},
        "action": action,
    }


def test_deployment_run_once_per_episode(prefect_api, deployment, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    policy = parse_policy(
        {
            "name": "churn",
            "rules": [
                _rule(
                    {
                        "type": "prefect_deployment",
                        "deployment": "retrain-churn/on-drift",
                        "parameters": {"team": "fraud"},
                        "evidence_parameter": "trigger",
                        "api_url": prefect_api,
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))

    first = evaluate_policy(policy)[0]
    assert first.status == "fired", first.message
    assert evaluate_policy(policy)[0].status == "already_fired"

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(first.firing.started["flow_run_id"])
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment]))
        )
    runs = [r for r in runs if r.parameters.get("team") == "fraud"]  # this policy's runs only
    assert len(runs) == 1
    assert run.deployment_id == deployment
    assert run.parameters["team"] == "fraud"
    assert run.parameters["trigger"]["episode"] == first.episode
    assert run.parameters["trigger"]["evidence"]["drift_report"] == first.evidence["drift_report"]
    assert "trackline-trigger" in run.tags
    # trackline records a flow run under the flow run's own id: the firing links to it.
    assert first.firing.started["pipeline_run_id"] == str(run.id)

    score(_batch(2_000, 3))
    assert evaluate_policy(policy)[0].status == "clear"
    score(_batch(2_000, 4, shift=-1.5))
    second = evaluate_policy(policy)[0]
    assert second.status == "fired" and second.episode != first.episode
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment]))
        )
    assert len([r for r in runs if r.parameters.get("team") == "fraud"]) == 2


def test_unknown_deployment_is_a_recorded_failure(prefect_api, monkeypatch):
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    policy = parse_policy(
        {
            "name": "missing",
            "rules": [
                _rule(
                    {
                        "type": "prefect_deployment",
                        "deployment": "nope/nothing",
                        "api_url": prefect_api,
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))
    out = evaluate_policy(policy)[0]
    assert out.status == "failed" and "nope/nothing" in out.message
    assert trackline.connect().monitoring.list_firings("missing")[0].status == "failed"


def test_event_starts_a_deployment_through_an_automation(prefect_api, deployment, monkeypatch):
    """The event reaches the server, and a deployment trigger (an automation) listening for it
    starts the retraining flow run."""
    from datetime import timedelta

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    with get_client(sync_client=True) as client:
        client.create_automation(
            AutomationCore(
                name="retrain-on-trackline-event",
                trigger=EventTrigger(
                    expect={"trackline.retraining.requested"},
                    match={"prefect.resource.id": "trackline.model.churn"},
                    posture=Posture.Reactive,
                    threshold=1,
                    within=timedelta(0),
                ),
                actions=[
                    RunDeployment(
                        source="selected",
                        deployment_id=deployment,
                        parameters={"team": "from-event"},
                    )
                ],
            )
        )
    policy = parse_policy(
        {
            "name": "churn-event",
            "rules": [
                _rule(
                    {
                        "type": "prefect_event",
                        "event": "trackline.retraining.requested",
                        "resource_id": "trackline.model.churn",
                        "api_url": prefect_api,
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))
    time.sleep(2)  # let the server's trigger service load the new automation
    out = evaluate_policy(policy)[0]
    assert out.status == "fired", out.message
    event_id = out.firing.started["event_id"]
    found, started = [], []
    for _ in range(120):  # the server persists events and runs automations asynchronously
        if not found:
            resp = requests.post(
                f"{prefect_api}/events/filter",
                json={
                    "filter": {"event": {"name": ["trackline.retraining.requested"]}},
                    "limit": 10,
                },
                timeout=10,
            )
            resp.raise_for_status()
            found = [e for e in resp.json()["events"] if e["id"] == event_id]
        with get_client(sync_client=True) as client:
            started = [
                r
                for r in client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment]))
                )
                if r.parameters.get("team") == "from-event"
            ]
        if found and started:
            break
        time.sleep(0.5)
    assert found, "the event never arrived"
    assert found[0]["resource"]["prefect.resource.id"] == "trackline.model.churn"
    assert found[0]["payload"]["episode"] == out.episode
    assert len(started) == 1, "the automation did not start the deployment"


def test_monitor_as_a_prefect_task(prefect_api, deployment, monkeypatch, tmp_path):
    """Scoring and monitoring inside a real Prefect flow; the policy starts the retraining."""
    import yaml
    from prefect.client.orchestration import get_client

    from prefect import flow, task
    from trackline.monitoring.triggers import run_policy

    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "name": "in-flow",
                "rules": [
                    _rule(
                        {
                            "type": "prefect_deployment",
                            "deployment": "retrain-churn/on-drift",
                            "evidence_parameter": "trigger",
                        }
                    )
                ],
            }
        )
    )
    train(_batch(5_000, 1))

    @task(name="score")  # inside a Prefect task the run takes the Prefect task's name
    def score_task(batch: pd.DataFrame) -> int:
        return score(batch)

    @task
    def monitor_task() -> list[dict]:
        return run_policy(str(policy))

    @flow(name="nightly-scoring")
    def nightly(shift: float) -> list[dict]:
        score_task(_batch(2_000, 7, shift=shift))
        return monitor_task()

    outcomes = nightly(1.5)
    assert outcomes[0]["status"] == "fired", outcomes
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(outcomes[0]["firing"]["started"]["flow_run_id"])
    assert run.deployment_id == deployment
    assert run.parameters["trigger"]["policy"] == "in-flow"
