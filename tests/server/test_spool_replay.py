"""Server down, then up: records wait in the spool and ``trackline sync`` delivers each once.
The server here also runs with ``--allow-anonymous-read``."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from trackline.store.sql.store import SqlStore

from .harness import Server, base_env, cli, free_port

WRITER = """
import json, trackline
from trackline import log_metric, pipeline_run, tracked_task

@tracked_task
def step(i: int) -> int:
    for s in range(3):
        log_metric("loss", 1.0 / (i + s + 1), step=s)
    return i * i

with pipeline_run("offline-pipeline") as pipe:
    out = [step(i) for i in range(5)]
print(json.dumps({"pipeline_run_id": pipe.id, "out": out}))
"""


def test_server_down_then_up(tmp_path):
    from trackline.server.access import TokenStore

    store_url = f"sqlite:///{tmp_path / 'team.db'}"
    tokens = TokenStore.for_url(store_url)
    writer = tokens.create("offline-writer", "writer")[0]
    tokens.engine.dispose()
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store_url, home=tmp_path / "srv")
    srv.home.mkdir()
    env = base_env(tmp_path / "client", TRACKLINE_STORE=srv.url, TRACKLINE_TOKEN=writer)

    # 1. Server down: the pipeline still runs to completion; its records are spooled.
    done = subprocess.run(
        [sys.executable, "-c", WRITER], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["out"] == [0, 1, 4, 9, 16]
    assert "unavailable" in done.stderr  # the warning says where the record went
    spool_files = list((tmp_path / "client" / "spool").rglob("*.json"))
    assert len(spool_files) == 7  # pipeline run start + finish, five task runs

    # 2. Server up: sync delivers everything exactly once.
    srv.start("--allow-anonymous-read")
    try:
        first = json.loads(cli("sync", "--json", env=env).stdout)
        assert (first["delivered"], first["remaining"], first["error"]) == (7, 0, None)
        again = json.loads(cli("sync", "--json", env=env).stdout)
        assert again["delivered"] == 0

        store = SqlStore(store_url)
        try:
            runs = store.list_runs(trackline_query(result["pipeline_run_id"]))
            assert len(runs) == 5 and {r.status for r in runs} == {"success"}
            for r in runs:
                assert len(store.get_run(r.id).metrics) == 3
            assert store.get_pipeline_run(result["pipeline_run_id"]).status == "success"
            with store.engine.connect() as conn:
                import sqlalchemy as sa

                assert conn.execute(sa.text("SELECT count(*) FROM task_runs")).scalar() == 5
                points = (
                    "SELECT (SELECT count(*) FROM metrics) + (SELECT sum(n) FROM metric_series)"
                )
                assert conn.execute(sa.text(points)).scalar() == 15
        finally:
            store.close()

        # 3. Anonymous reads are open on this server; writes and the audit log are not.
        listed = requests.get(srv.url + "/api/v1/runs", timeout=30)
        assert listed.status_code == 200 and len(listed.json()) == 5
        assert (
            requests.get(srv.url + f"/api/v1/lineage/{runs[0].id}", timeout=30).status_code == 200
        )
        assert requests.get(srv.url + "/api/v1/whoami", timeout=30).json()["anonymous"] is True
        assert requests.get(srv.url + "/api/v1/audit", timeout=30).status_code == 401
        assert (
            requests.post(srv.url + "/api/v1/pipeline-runs", json={}, timeout=30).status_code == 401
        )
        bad = requests.get(
            srv.url + "/api/v1/runs", headers={"Authorization": "Bearer tl_bad"}, timeout=30
        )
        assert bad.status_code == 401  # a token that is sent is still checked
    finally:
        srv.stop()


def trackline_query(pipeline_run_id: str):
    from trackline.model.runs import RunQuery

    return RunQuery(pipeline_run_id=pipeline_run_id)


def test_tokens_cli_on_the_sql_store(tmp_path):
    from click.testing import CliRunner

    from trackline.cli.main import cli as root

    store_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    # The documented bootstrap, as a real process: the secret is printed once, as JSON.
    created = json.loads(
        cli(
            "--store",
            store_url,
            "tokens",
            "create",
            "--role",
            "approver",
            "--name",
            "release-bot",
            "--json",
            env=base_env(tmp_path / "home"),
        ).stdout
    )
    assert set(created) == {"token"} and created["token"].startswith("tl_")

    def run(*args: str):
        return CliRunner().invoke(root, ["--store", store_url, "tokens", *args])

    listed = json.loads(run("list", "--json").output)
    assert [(t["name"], t["role"], t["active"]) for t in listed] == [
        ("release-bot", "approver", True)
    ]
    assert created["token"] not in json.dumps(listed)
    refused = run("create", "--role", "god", "--name", "x")
    assert refused.exit_code == 2 and "'god' is not one of" in refused.output
    revoked = json.loads(run("revoke", "release-bot", "--json").output)
    assert revoked[0]["active"] is False
    again = run("revoke", "release-bot")
    assert again.exit_code == 2 and "no active token" in again.output
