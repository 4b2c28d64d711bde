"""Airflow's OpenLineage provider pointed at a real trackline server: the SQL operator's lineage
(extracted by the provider) and the tracked Python task that reads its table form one graph,
and each task instance is one trackline run (the provider's events merge into trackline's)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from helpers import BIN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ol_server(tmp_path_factory):
    """A trackline server on SQLite with a writer token (shared by this module's tests)."""
    from trackline.server.access import TokenStore

    home = tmp_path_factory.mktemp("ol-server")
    store = f"sqlite:///{home / 'server.db'}"
    tokens = TokenStore.for_url(store)
    token = tokens.create("airflow-openlineage", "writer")[0]
    tokens.engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLINE_", "AIRFLOW"))}
    env["TRACKLINE_HOME"] = str(home)
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "trackline"), "server", "--store", store, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError((home / "server.log").read_text()[-2000:])
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    yield {"url": url, "token": token, "store": store}
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    log.close()


def _enable_provider(monkeypatch, url: str, token: str, pg_url: str) -> None:
    """Configure the provider as a user would (its [openlineage] settings as variables)."""

    transport = {
        "type": "http",
        "url": url,
        "endpoint": "api/v1/lineage",
        "auth": {"type": "api_key", "apiKey": token},
    }
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__TRANSPORT", json.dumps(transport))
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__NAMESPACE", "tl-airflow")
    monkeypatch.setenv(
        "AIRFLOW__OPENLINEAGE__CUSTOM_RUN_FACETS",
        "trackline.integrations.airflow.openlineage.trackline_run_facets",
    )
    monkeypatch.setenv("AIRFLOW_CONN_TL_OL_PG", pg_url.replace("postgresql://", "postgres://", 1))
    monkeypatch.setenv("TRACKLINE_STORE", url)
    monkeypatch.setenv("TRACKLINE_TOKEN", token)


def test_sql_step_and_tracked_step_are_one_connected_graph(
    airflow_home, ol_server, pg_database, monkeypatch
):
    from trackline.store.http import HttpStore

    pg_url = pg_database()
    _enable_provider(monkeypatch, ol_server["url"], ol_server["token"], pg_url)
    # A fresh process, as a deployment is: the provider registers its listener when its plugin
    # loads, and only if it is configured by then (this test process loaded plugins earlier).
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "run_dag_process.py"),
            str(airflow_home),
            "tl_openlineage",
        ],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    store = HttpStore(ol_server["url"], token=ol_server["token"])
    from trackline.model.runs import RunQuery

    runs = store.list_runs(RunQuery(pipeline="tl_openlineage", limit=100))
    by_name: dict[str, list] = {}
    for r in runs:
        by_name.setdefault(r.name, []).append(r)
    # One record per task instance: the provider's events merged into trackline's own records.
    assert sorted(by_name) == ["build_training", "train"], [r.name for r in runs]
    assert all(len(v) == 1 for v in by_name.values())
    build = store.get_run(by_name["build_training"][0].id)
    train = store.get_run(by_name["train"][0].id)
    assert build.status == "success" and train.status == "success"
    # the provider's run id is recorded on trackline's record
    assert build.external_ids.get("openlineage_run_id")
    assert train.external_ids.get("openlineage_run_id")
    db = pg_url.rsplit("/", 1)[1]
    table = f"postgres://127.0.0.1:5432/{db}.public.training"
    assert table in {o.uri for o in build.outputs}, build.outputs
    assert table in {i.uri for i in train.inputs}, train.inputs
    # the dag run too: trackline's pipeline run carries the provider's dag-run id, and the
    # provider's DAG-level events fold into it
    pipes = store.list_pipeline_runs("tl_openlineage")
    print("pipeline runs:", [(p.id, p.external_ids) for p in pipes])
    assert [p.id for p in pipes] == [build.pipeline_run_id]
    assert pipes[0].external_ids.get("openlineage_run_id")
    model = next(o for o in train.outputs if o.name == "return")
    graph = store.lineage(model.digest, "upstream")
    assert {build.id, train.id} <= {n.id for n in graph.nodes if n.type == "task_run"}
    by = {(e.source, e.target): e.by for e in graph.edges}
    table_digest = next(i.digest for i in train.inputs if i.uri == table)
    assert by[(build.id, table_digest)] == "name" and by[(train.id, model.digest)] == "digest"
