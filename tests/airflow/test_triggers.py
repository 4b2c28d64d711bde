"""Retraining triggers against a real Airflow 3 api-server on loopback (simple auth manager).

One api-server per session in a temporary AIRFLOW_HOME; the DAGs are serialized with
``airflow dags reserialize`` so the REST API knows them. No scheduler is needed: a triggered
run exists (queued) as soon as the API accepts it, which is what the trigger promises.
"""

from __future__ import annotations

import json
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
ASSET_URI = "trackline://retraining/churn"
DAG_FILE = f'''
from airflow.sdk import Asset, dag, task


@dag(dag_id="retrain_churn", schedule=None, catchup=False)
def retrain_churn():
    @task
    def fit():
        return 1

    fit()


@dag(dag_id="retrain_on_asset", schedule=[Asset(uri="{ASSET_URI}", name="churn_retraining")],
     catchup=False)
def retrain_on_asset():
    @task
    def fit():
        return 1

    fit()


@dag(dag_id="nightly_monitor", schedule=None, catchup=False)
def nightly_monitor():
    @task
    def monitor():
        import os

        from trackline.monitoring.triggers import run_policy

        return run_policy(os.environ["MONITOR_POLICY"])

    monitor()


retrain_churn()
retrain_on_asset()
nightly_monitor()
'''


_PREPARE = """
import argparse
from airflow.utils import db
from airflow.cli.commands.dag_command import dag_reserialize
db.initdb()
dag_reserialize(argparse.Namespace(bundle_name=None))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def airflow_api(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    (home / "dags").mkdir()
    (home / "dags" / "retrain.py").write_text(DAG_FILE)
    (home / "passwords.json").write_text(json.dumps({"admin": "s3cret"}))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "trackline-test-secret",
    }
    airflow = str(BIN / "airflow")
    # `airflow db migrate` + `airflow dags reserialize` in one interpreter (Airflow imports are
    # slow).
    subprocess.run([sys.executable, "-c", _PREPARE], env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(home / "api-server.log", "wb")
    proc = subprocess.Popen(
        [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"airflow api-server exited: {(home / 'api-server.log').read_text()[-2000:]}"
                )
            try:
                if requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("airflow api-server did not come up in 120 s")
        yield {"url": url, "env": env}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def airflow_url(airflow_api):
    return airflow_api["url"]


def _token(url: str) -> dict:
    resp = requests.post(
        f"{url}/auth/token", json={"username": "admin", "password": "s3cret"}, timeout=10
    )
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(shift, 1, n), "c": np.array(list("abc"))[rng.integers(0, 3, n)]}
    )


@trackline.tracked_task(name="train")
def train(data: pd.DataFrame) -> int:
    return len(data)


@trackline.tracked_task(name="score")
def score(batch: pd.DataFrame) -> int:
    return len(batch)


def _rule(action: dict) -> dict:
    return {
        "name": "drift",
        "when": {
            "drift": {
                "reference": "task:train/data",
                "current": "task:score/batch@last",
                "share": 0.5,
            }
        },
        "action": action,
    }


def test_dag_run_is_started_once_per_episode(airflow_url, monkeypatch):
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    monkeypatch.setenv("AIRFLOW_TEST_PASSWORD", "s3cret")
    policy = parse_policy(
        {
            "name": "churn",
            "rules": [
                _rule(
                    {
                        "type": "airflow_dag_run",
                        "url": airflow_url,
                        "dag_id": "retrain_churn",
                        "username": "admin",
                        "password_env": "AIRFLOW_TEST_PASSWORD",
                        "conf": {"team": "ml"},
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))

    first = evaluate_policy(policy)[0]
    assert first.status == "fired", first.message
    run_id = first.firing.started["dag_run_id"]
    again = evaluate_policy(policy)[0]
    assert again.status == "already_fired"

    headers = _token(airflow_url)
    runs = requests.get(
        f"{airflow_url}/api/v2/dags/retrain_churn/dagRuns", headers=headers, timeout=10
    ).json()
    ours = [r for r in runs["dag_runs"] if r["conf"].get("trackline", {}).get("policy") == "churn"]
    assert len(ours) == 1 and ours[0]["dag_run_id"] == run_id
    run = requests.get(
        f"{airflow_url}/api/v2/dags/retrain_churn/dagRuns/{run_id}", headers=headers, timeout=10
    ).json()
    assert run["conf"]["team"] == "ml"
    evidence = run["conf"]["trackline"]
    assert evidence["episode"] == first.episode and evidence["reason"].startswith("data drift")
    assert evidence["evidence"]["drift_report"] == first.evidence["drift_report"]
    firing = trackline.connect().monitoring.list_firings("churn")[0]
    assert firing.status == "fired" and firing.started["dag_run_id"] == run_id
    # The id the dag run's own tracked tasks record their pipeline run under: the UI links it.
    from trackline.integrations.airflow.identity import pipeline_run_id

    assert firing.started["pipeline_run_id"] == pipeline_run_id("retrain_churn", run_id)


def test_failed_login_is_recorded_not_raised(airflow_url, monkeypatch):
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    policy = parse_policy(
        {
            "name": "wrong-password",
            "rules": [
                _rule(
                    {
                        "type": "airflow_dag_run",
                        "url": airflow_url,
                        "dag_id": "retrain_churn",
                        "username": "admin",
                        "password": "nope",
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))
    out = evaluate_policy(policy)[0]
    assert out.status == "failed" and "401" in out.message


def test_asset_event_is_emitted(airflow_url, monkeypatch):
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    monkeypatch.setenv("AIRFLOW_TEST_PASSWORD", "s3cret")
    policy = parse_policy(
        {
            "name": "churn-asset",
            "rules": [
                _rule(
                    {
                        "type": "airflow_asset_event",
                        "url": airflow_url,
                        "asset_uri": ASSET_URI,
                        "username": "admin",
                        "password_env": "AIRFLOW_TEST_PASSWORD",
                        "extra": {"why": "drift"},
                    }
                )
            ],
        }
    )
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))
    out = evaluate_policy(policy)[0]
    assert out.status == "fired", out.message
    asset_id = out.firing.started["asset_id"]
    assert evaluate_policy(policy)[0].status == "already_fired"
    events = requests.get(
        f"{airflow_url}/api/v2/assets/events",
        params={"asset_id": asset_id},
        headers=_token(airflow_url),
        timeout=10,
    ).json()
    assert events["total_entries"] == 1
    extra = events["asset_events"][0]["extra"]
    assert extra["why"] == "drift" and extra["trackline"]["policy"] == "churn-asset"


def test_monitor_as_an_airflow_task(airflow_api, monkeypatch, tmp_path):
    """`airflow dags test` runs a DAG whose task evaluates the policy; the retraining DAG run
    it starts is then visible through the REST API."""
    import yaml

    url = airflow_api["url"]
    monkeypatch.setenv("TRACKLINE_CAPTURE_ENVIRONMENT", "0")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("TRACKLINE_STORE", store)
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=1.5))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "name": "in-dag",
                "rules": [
                    _rule(
                        {
                            "type": "airflow_dag_run",
                            "url": url,
                            "dag_id": "retrain_churn",
                            "username": "admin",
                            "password_env": "AIRFLOW_TEST_PASSWORD",
                        }
                    )
                ],
            }
        )
    )
    env = {
        **airflow_api["env"],
        "TRACKLINE_STORE": store,
        "MONITOR_POLICY": str(policy),
        "AIRFLOW_TEST_PASSWORD": "s3cret",
        "TRACKLINE_CAPTURE_ENVIRONMENT": "0",
    }
    done = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", "nightly_monitor"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    firing = trackline.connect().monitoring.list_firings("in-dag")[0]
    assert firing.status == "fired"
    run = requests.get(
        f"{url}/api/v2/dags/retrain_churn/dagRuns/{firing.started['dag_run_id']}",
        headers=_token(url),
        timeout=10,
    ).json()
    assert run["conf"]["trackline"]["policy"] == "in-dag"
