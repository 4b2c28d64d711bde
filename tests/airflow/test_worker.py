"""A DAG run by the real components: scheduler (LocalExecutor), api-server, task processes.

Unlike ``dag.test()``, each task runs in its own forked process where Airflow forbids ORM
access, the dag-run hooks fire in the scheduler, and trackline writes to PostgreSQL (the store
for distributed workers). This is the one expensive test; the servers live only inside it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from helpers import (
    BIN,
    assert_identities,
    assert_recorded_once,
    by_name,
    key,
    runs_of,
    trackline_subprocess,
)

from trackline.model.ids import deterministic_id

DAG_ID = "tl_worker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, procs: list[subprocess.Popen], logs: list[Path]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(
                    f"{p.args} exited ({p.returncode}) while waiting for {what}:\n"
                    + "\n".join(log.read_text()[-3000:] for log in logs)
                )
        time.sleep(2)
    raise AssertionError(
        f"timed out waiting for {what}:\n" + "\n".join(log.read_text()[-3000:] for log in logs)
    )


@pytest.fixture
def airflow_components(airflow_home: Path, tmp_path: Path, pg_database, monkeypatch):
    store = pg_database()
    api_port, log_port = _free_port(), _free_port()
    env = {
        "TRACKLINE_STORE": store,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API_AUTH__JWT_SECRET": "trackline-test-secret-0123456789abcdef",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        # A cold api-server on a busy machine can take long to answer a worker's first call.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "120",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    full_env = os.environ.copy()
    procs: list[subprocess.Popen] = []
    logs = [tmp_path / "api-server.log", tmp_path / "scheduler.log", tmp_path / "reserialize.log"]
    try:
        # All three start at once: serializing the DAGs overlaps the servers' slow start-up.
        for cmd, log in (
            (["api-server", "--port", str(api_port), "--workers", "1"], logs[0]),
            (["scheduler"], logs[1]),
            (["dags", "reserialize"], logs[2]),
        ):
            with open(log, "wb") as out:
                procs.append(
                    subprocess.Popen(
                        [str(BIN / "airflow"), *cmd],
                        env=full_env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        reserialize = procs.pop()
        if reserialize.wait() != 0:
            raise AssertionError("airflow dags reserialize failed:\n" + logs[2].read_text()[-3000:])

        def api_up() -> bool:
            with socket.socket() as s:
                s.settimeout(1)
                return s.connect_ex(("127.0.0.1", api_port)) == 0

        _wait("the api-server", api_up, 600, procs, logs)
        yield {"env": full_env, "procs": procs, "logs": logs, "store": store}
    finally:
        for p in procs:  # each started in its own session: stop the whole process group
            if p.poll() is None:
                os.killpg(p.pid, 15)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait()


def test_a_dag_run_by_scheduler_and_workers_is_recorded(airflow_components, cli):
    from trackline import connect

    env = airflow_components["env"]
    trigger = subprocess.run(
        [str(BIN / "airflow"), "dags", "trigger", DAG_ID, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    client = connect()

    def finished():
        done = [p for p in client.pipeline_runs(DAG_ID) if p.status in ("success", "failed")]
        return done[0] if done else None

    pipe = _wait(
        "the dag run to finish",
        finished,
        900,
        airflow_components["procs"],
        airflow_components["logs"],
    )
    assert pipe.status == "success", trigger.stdout
    run_id = pipe.external_ids["run_id"]
    assert pipe.id == deterministic_id(DAG_ID, run_id)
    assert pipe.host and pipe.pid != os.getpid()

    runs = runs_of(trackline_subprocess, DAG_ID)
    assert_recorded_once(runs)
    assert_identities(runs, DAG_ID, run_id)
    tasks = by_name(runs)
    assert set(tasks) == {
        "produce",
        "double",
        "summarize",
        "total",
        "square",
        "report",
        "on_failure",
    }
    # The scheduler skipped on_failure (trigger rule one_failed) without running it; its hook
    # at the dag run's end recorded that, reading the task instances through its own session.
    [on_failure] = tasks.pop("on_failure")
    assert (on_failure["status"], on_failure["external_ids"]["state"]) == ("skipped", "skipped")
    assert key(on_failure)[1] == 0
    # Infrastructure hiccups may cost a try (retries=1): the last try of each task succeeded.
    for name, found in tasks.items():
        last = {}
        for r in found:
            last[key(r)[2]] = r
        assert {r["status"] for r in last.values()} == {"success"}, (name, found)
    assert sorted(key(r)[2] for r in tasks["square"] if r["status"] == "success") == [0, 1, 2]

    shown = {name: cli("show", found[-1]["id"]) for name, found in tasks.items()}
    # Each try ran in its own task process, not in this one or the scheduler.
    pids = {s["pid"] for s in shown.values()}
    assert os.getpid() not in pids and pipe.pid not in pids
    produce, double, summarize = shown["produce"], shown["double"], shown["summarize"]
    out = {ref["name"]: ref["digest"] for ref in produce["outputs"]}
    assert {ref["name"]: ref["digest"] for ref in double["inputs"]}["numbers"] == out["return"]
    doubled = {ref["name"]: ref["digest"] for ref in double["outputs"]}["return"]
    assert {ref["name"]: ref["digest"] for ref in summarize["inputs"]}["numbers"] == doubled
    assert [m["key"] for m in double["metrics"]] == ["n"]
    # "total" is a plain @task: the listener read its arguments and its XCom.
    summary_out = {ref["name"]: ref["digest"] for ref in summarize["outputs"]}["return"]
    assert {ref["name"]: ref["digest"] for ref in shown["total"]["inputs"]}[
        "summary"
    ] == summary_out
    assert any(ref["name"] == "return" for ref in shown["total"]["outputs"])
    report_in = {ref["name"]: ref for ref in shown["report"]["inputs"]}
    assert report_in["tl_worker_report"]["uri"] == "file:///tmp/tl_worker/report.txt"
    upstream = cli("lineage", shown["report"]["id"], "--direction", "upstream")
    assert {"double", "produce"} <= {
        n["name"] for n in upstream["nodes"] if n["type"] == "task_run"
    }
