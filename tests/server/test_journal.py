"""Remote writes never wait (issue 18): tracked calls append to the local journal and a
background sender delivers batches to ``POST /records``, each record exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import sqlalchemy as sa

import trackline
from trackline.model.runs import RunQuery
from trackline.server.access import TokenStore
from trackline.store import get_store
from trackline.store.quarantine import list_quarantined
from trackline.store.sql.store import SqlStore

from .harness import Server, base_env, cli, free_port
from .records import task_run

CALLS = """
import json, os, signal, sys, trackline
from trackline import log_metric, pipeline_run, tracked_task

@tracked_task
def step(i: int) -> int:
    log_metric("loss", 1.0 / (i + 1))
    return i * i

with pipeline_run(sys.argv[1]) as pipe:
    out = [step(i) for i in range(int(sys.argv[2]))]
print(json.dumps({"pipeline_run_id": pipe.id, "n": len(out)}), flush=True)
if sys.argv[3] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)  # after the calls returned, before any exit flush
"""


def _run_calls(env, pipeline: str, n: int, end: str = "exit") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CALLS, pipeline, str(n), end],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == (-9 if end == "kill" else 0), done.stderr
    return json.loads(done.stdout)


def _counts(store_url: str, pipeline_run_id: str) -> tuple[int, int, str | None]:
    """Task runs and metrics stored for a pipeline run (by SQL: duplicates would show), and the
    pipeline run's status."""
    store = SqlStore(store_url)
    try:
        with store.engine.connect() as conn:
            runs = conn.execute(
                sa.text("SELECT count(*) FROM task_runs WHERE pipeline_run_id = :p"),
                {"p": pipeline_run_id},
            ).scalar()
            metrics = conn.execute(
                sa.text(  # every point: single records and series
                    "SELECT (SELECT count(*) FROM metrics m JOIN task_runs t "
                    "ON t.id = m.task_run_id WHERE t.pipeline_run_id = :p) + "
                    "(SELECT coalesce(sum(s.n), 0) FROM metric_series s JOIN task_runs t "
                    "ON t.id = s.task_run_id WHERE t.pipeline_run_id = :p)"
                ),
                {"p": pipeline_run_id},
            ).scalar()
            status = conn.execute(
                sa.text("SELECT status FROM pipeline_runs WHERE id = :p"), {"p": pipeline_run_id}
            ).scalar()
        return runs, metrics, status
    finally:
        store.close()


def _journal_records(home) -> int:
    """Records a killed client left in its journal segments."""
    lines = [line for p in (home / "spool").rglob("*.jsonl") for line in p.read_text().splitlines()]
    shared = ('{"kind":"environment"', '{"kind":"code"')  # parts written once per segment
    return sum(not line.startswith(shared) for line in lines if line.strip())


def _spool_files(home) -> list:
    """Every journal file, pending or claimed by a sender."""
    return [
        p
        for p in (home / "spool").rglob("*.json")
        if "quarantine" not in p.parts and not p.name.startswith(".tmp-")
    ]


def test_many_calls_arrive_exactly_once(server, tmp_path):
    env = base_env(tmp_path, TRACKLINE_STORE=server.url, TRACKLINE_TOKEN=server.tokens["writer"])
    result = _run_calls(env, "journal-many", 300)
    assert _counts(server.store, result["pipeline_run_id"]) == (300, 300, "success")
    assert _spool_files(tmp_path) == []  # the exit flush sent everything
    again = json.loads(cli("sync", "--json", env=env).stdout)
    assert (again["delivered"], again["remaining"]) == (0, 0)


def test_killed_client_is_delivered_by_the_next_sync(server, tmp_path):
    """kill -9 right after the calls returned: what the sender had not sent (or had claimed
    mid-request) is in the journal, and the next process's sync delivers it exactly once."""
    env = base_env(tmp_path, TRACKLINE_STORE=server.url, TRACKLINE_TOKEN=server.tokens["writer"])
    result = _run_calls(env, "journal-killed", 200, end="kill")
    out = json.loads(cli("sync", "--json", env=env).stdout)
    assert out["error"] is None and out["remaining"] == 0
    assert _counts(server.store, result["pipeline_run_id"]) == (200, 200, "success")
    assert _spool_files(tmp_path) == []


def _own_server(tmp_path) -> tuple[Server, str]:
    store_url = f"sqlite:///{tmp_path / 'team.db'}"
    tokens = TokenStore.for_url(store_url)
    writer = tokens.create("journal-writer", "writer")[0]
    tokens.engine.dispose()
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store_url, home=tmp_path / "srv")
    srv.home.mkdir()
    return srv, writer


def test_killed_client_with_server_down_then_sync(tmp_path):
    srv, writer = _own_server(tmp_path)
    env = base_env(tmp_path / "client", TRACKLINE_STORE=srv.url, TRACKLINE_TOKEN=writer)
    result = _run_calls(env, "journal-down-killed", 30, end="kill")
    # 30 task runs, pipeline start + end: in the journal, or moved into the spool by the sender
    client = tmp_path / "client"
    assert len(_spool_files(client)) + _journal_records(client) == 32
    srv.start()
    try:
        out = json.loads(cli("sync", "--json", env=env).stdout)
        assert (out["delivered"], out["remaining"], out["error"]) == (32, 0, None)
        assert _counts(srv.store, result["pipeline_run_id"]) == (30, 30, "success")
    finally:
        srv.stop()


def test_server_down_calls_return_and_records_arrive_later(tmp_path, monkeypatch):
    srv, writer = _own_server(tmp_path)
    monkeypatch.setenv("TRACKLINE_STORE", srv.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", writer)

    @trackline.tracked_task
    def step(i: int) -> int:
        return i + 1

    with trackline.pipeline_run("journal-down") as pipe:
        assert [step(i) for i in range(50)] == list(range(1, 51))
    store = get_store()
    assert store.flush(120) is False and store.circuit_open  # the sender found it down
    store.probe_interval = 0.2
    srv.start()
    try:
        for _ in range(600):  # the probe reaches the server, then the sender delivers
            if not store.circuit_open and store.flush(60):
                break
            time.sleep(0.1)
        assert _counts(srv.store, pipe.id) == (50, 0, "success")
        assert store.spool.pending() == []
    finally:
        srv.stop()


def test_refused_record_is_quarantined_while_the_rest_arrive(server, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])
    store = get_store()
    good = [task_run(pipeline="journal-refusal") for _ in range(6)]
    bad = task_run(pipeline="journal-refusal")
    bad.name = "n" * 600  # over the server's name limit
    for run in (*good[:3], bad, *good[3:]):
        store.write_task_run(run)
    assert store.flush(120) is True
    for run in good:
        assert store.get_run(run.id).status == "success"
    [refused] = list_quarantined(store.spool.path)
    assert refused.record_id == bad.id and "InvalidInput" in refused.reason
    assert "name" in refused.reason
    reduced = store.get_run(bad.id)  # still visible, reduced, saying why
    assert "refused" in reduced.error.message and len(reduced.name) < 600
    assert store.spool.pending() == []


def test_reads_see_this_process_writes(server, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])

    @trackline.tracked_task
    def step(i: int) -> int:
        return i * 2

    with trackline.pipeline_run("journal-ryw") as pipe:
        for i in range(20):
            step(i)
    client = trackline.connect()
    assert client.store.journaled()
    runs = client.store.list_runs(RunQuery(pipeline_run_id=pipe.id, limit=100))
    assert len(runs) == 20
    assert client.store.get_pipeline_run(pipe.id).status == "success"


def test_strict_mode_writes_synchronously(server, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])
    monkeypatch.setenv("TRACKLINE_STRICT", "1")
    store = get_store()
    run = task_run(pipeline="journal-strict")
    store.write_task_run(run)
    assert not store.journaled() and store.spool.pending() == []
    assert SqlStore(server.store).get_run(run.id).status == "success"


def test_batch_on_postgresql_reads_back_and_resending_changes_nothing(pg_database):
    """The multi-row path stores what one-record writes store; a resent batch is a no-op and a
    rewrite of a finished run in it is refused alone."""
    store = SqlStore(pg_database())
    try:
        runs = [task_run(pipeline="batch-pg") for _ in range(5)]
        assert store.write_records(runs) == [None] * 5
        for run in runs:
            back = store.get_run(run.id)
            assert back.params == run.params and back.outputs == run.outputs
            assert [(m.key, m.value, m.step) for m in back.metrics] == [
                (m.key, m.value, m.step) for m in run.metrics
            ]
        assert len(store.lineage(runs[0].id, "downstream").nodes) >= 2
        clash = runs[2].model_copy(update={"status": "failed"})
        outcomes = store.write_records([*runs, clash])
        assert outcomes[:5] == [None] * 5 and type(outcomes[5]).__name__ == "Conflict"
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM metrics")).scalar() == 15
        assert store.get_run(runs[2].id).status == "success"
    finally:
        store.close()


def test_batch_over_the_body_limit_is_413_and_the_records_still_arrive(tmp_path, monkeypatch):
    """A batch the server refuses as too large (413) is sent again record by record."""
    import requests

    from trackline.model.runs import Metric

    srv, writer = _own_server(tmp_path)
    srv.start("--max-body-mb", "1")
    try:
        runs = [task_run(pipeline="journal-413") for _ in range(8)]
        for run in runs:  # ~250 KB each: one fits the limit, the batch does not
            run.metrics = [
                Metric(id=f"{run.id[:8]}{k}", key=f"m{k % 50}", value=k, step=k)
                for k in range(2000)
            ]
        body = {
            "records": [{"kind": "task_run", "record": r.model_dump(mode="json")} for r in runs]
        }
        big = requests.post(
            srv.url + "/api/v1/records",
            json=body,
            headers={"Authorization": f"Bearer {writer}"},
            timeout=120,
        )
        assert big.status_code == 413
        monkeypatch.setenv("TRACKLINE_STORE", srv.url)
        monkeypatch.setenv("TRACKLINE_TOKEN", writer)
        store = get_store()
        for run in runs:
            store.write_task_run(run)
        assert store.flush(300) is True
        assert {len(store.get_run(r.id).metrics) for r in runs} == {2000}
        assert list_quarantined(store.spool.path) == []
    finally:
        srv.stop()
