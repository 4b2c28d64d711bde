"""The remote store: tracked code, CLI queries and error mapping through a real server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import trackline
from trackline.cli.main import cli
from trackline.errors import NotFound, PermissionDenied, StoreUnavailable, Unauthenticated
from trackline.store.http import HttpStore
from trackline.store.sql.store import SqlStore

from .harness import free_port
from .records import task_run


def test_tracked_pipeline_through_server_lands_in_postgres(server, recorded):
    store = SqlStore(server.store)
    try:
        train = store.get_run(recorded["first"]["task_runs"]["train"])
        assert train.status == "success" and train.pipeline == "churn-model"
        assert len([m for m in train.metrics if m.key == "loss"]) == 12
        assert train.resources is not None and train.resources.samples
        up = store.lineage(train.id, "upstream")
        assert "prepare" in {n.name for n in up.nodes}
        pipe = store.get_pipeline_run(recorded["second"]["pipeline_run_id"])
        assert pipe.status == "success" and pipe.config == {"lr": 0.3}
        publish = store.get_run(recorded["second"]["task_runs"]["publish"])
        assert publish.status == "failed" and "refused the upload" in publish.error.message
    finally:
        store.close()


def _cli(args: list[str], server, role: str = "reader"):
    result = CliRunner().invoke(
        cli, args, env={"TRACKLINE_STORE": server.url, "TRACKLINE_TOKEN": server.tokens[role]}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_queries_work_through_the_server(server, recorded):
    first, second = recorded["first"]["task_runs"], recorded["second"]["task_runs"]
    runs = _cli(["runs", "--pipeline", "churn-model", "--json"], server)
    assert {first["train"], second["publish"]} <= {r["id"] for r in runs}
    shown = _cli(["show", first["train"], "--json"], server)
    assert shown["params"]["lr"] == 0.1 and shown["name"] == "train"
    graph = _cli(["lineage", first["evaluate"], "--direction", "upstream", "--json"], server)
    assert {"train", "prepare"} <= {n["name"] for n in graph["nodes"]}
    diff = _cli(["diff", first["train"], second["train"], "--json"], server)
    assert not diff["identical"] and any(c["key"] == "lr" for c in diff["params"])
    assert _cli(["artifacts", "--json"], server)
    pipes = _cli(["pipelines", "--pipeline", "churn-model", "--json"], server)
    assert recorded["first"]["pipeline_run_id"] in {p["id"] for p in pipes}


def test_http_store_raises_the_sql_stores_errors(server):
    reader = HttpStore(server.url, token=server.tokens["reader"])
    with pytest.raises(NotFound, match="no run"):
        reader.get_run("0123456789abcdef")
    with pytest.raises(PermissionDenied, match="needs role 'writer'"):
        reader.write_task_run(task_run())
    with pytest.raises(Unauthenticated):
        HttpStore(server.url, token="tl_wrong").list_runs(trackline.model.runs.RunQuery())
    with pytest.raises(Unauthenticated, match="needs an API token"):
        HttpStore(server.url).get_run("x")
    assert reader.whoami() == {"name": "reader-bot", "role": "reader", "anonymous": False}
    down = HttpStore(f"http://127.0.0.1:{free_port()}", token="tl_x")
    with pytest.raises(StoreUnavailable, match="unreachable"):
        down.get_run("x")
    writer = HttpStore(server.url, token=server.tokens["writer"])
    run = task_run()
    assert writer.write_batch(task_runs=[run]) == [{"kind": "task_run", "id": run.id}]
    assert reader.get_run(run.id).metrics[0].key == "loss"


def test_refused_writes_are_spooled_and_synced_once(server, monkeypatch):
    """A reader token cannot write: the task still succeeds, the record waits in the spool."""
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["reader"])

    @trackline.tracked_task
    def double(x: int) -> int:
        trackline.log_metric("x", x)
        return 2 * x

    assert double(21) == 42
    client = trackline.connect()
    # The call returned after the journal append; the sender's refused delivery opens the circuit.
    assert client.store.flush(60) is False and client.store.circuit_open
    assert len(client.store.spool.pending()) == 1
    spooled = json.loads(client.store.spool.pending()[0].read_text())["record"]["id"]
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])
    client = trackline.connect()
    result = client.sync()
    assert (result.delivered, result.remaining, result.error) == (1, 0, None)
    assert client.sync().delivered == 0
    run = client.run(spooled)
    assert run.name.endswith("double") and [m.value for m in run.metrics] == [21.0]


def test_monitoring_runs_are_left_out_on_request(server):
    """`trackline runs` hides drift-check runs through the server too (``monitoring=false``)."""
    writer = HttpStore(server.url, token=server.tokens["writer"])
    check = task_run(pipeline="monitoring-filter")
    check.name = "trackline.drift"
    step = task_run(pipeline="monitoring-filter")
    writer.write_task_run(check)
    writer.write_task_run(step)
    query = trackline.model.runs.RunQuery
    shown = writer.list_runs(query(pipeline="monitoring-filter", monitoring=False))
    assert [r.id for r in shown] == [step.id]
    everything = writer.list_runs(query(pipeline="monitoring-filter"))
    assert {r.id for r in everything} == {check.id, step.id}
    hidden = _cli(["runs", "--pipeline", "monitoring-filter", "--json"], server)
    assert [r["id"] for r in hidden] == [step.id]
    listed = _cli(["runs", "--pipeline", "monitoring-filter", "--all", "--json"], server)
    assert len(listed) == 2


def test_metric_series_travel_through_the_server_whole(server, monkeypatch):
    """NaN, infinities, steps of None and a series split at its size bound arrive as logged."""
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])
    from trackline.model.runs import SERIES_MAX

    odd = [float("nan"), float("inf"), -float("inf"), -0.0, 2.5]
    with trackline.task_run("remote-series") as rec:
        for i, v in enumerate(odd):
            trackline.log_metric("odd", v, step=None if i % 2 else i)
        for i in range(SERIES_MAX + 3):
            trackline.log_metric("loss", i / 7, step=i)
    client = trackline.connect()
    assert client.store.flush(60)
    run = client.run(rec.id)
    got = [m.value for m in run.metrics if m.key == "odd"]
    assert [repr(v) for v in got] == [repr(v) for v in odd]
    assert [m.step for m in run.metrics if m.key == "odd"] == [0, None, 2, None, 4]
    assert [m.value for m in run.metrics if m.key == "loss"] == [
        i / 7 for i in range(SERIES_MAX + 3)
    ]
    stored = SqlStore(server.store)
    try:
        assert len(stored.get_run(rec.id).metrics) == len(run.metrics)
    finally:
        stored.close()


def test_a_server_that_does_not_list_metric_series_gets_the_points_as_metric_records(server):
    """A server from before series would ignore ``metric_series`` and store the run without
    those points: the client asks ``/healthz`` once and, without the feature, sends records."""
    import requests
    import sqlalchemy as sa

    from trackline.model.runs import MetricSeries, TaskRun, point_micros, utcnow

    assert "metric_series" in requests.get(server.url + "/healthz", timeout=30).json()["features"]
    writer = HttpStore(server.url, token=server.tokens["writer"])
    assert writer._takes_series()
    writer._series = False  # as an earlier server's /healthz (no "features") leaves it
    now = point_micros(utcnow())
    series = MetricSeries(
        id="old-server", key="loss", values=[0.5, float("nan")], steps=[1, 2], times=[now, now]
    )
    run = TaskRun(id="b" * 32, name="to-an-old-server", status="success", metric_series=[series])
    writer.write_task_run(run)
    stored = SqlStore(server.store)
    try:
        back = stored.get_run(run.id)
        assert [(m.key, m.step) for m in back.metrics] == [("loss", 1), ("loss", 2)]
        assert back.metrics[0].value == 0.5 and back.metrics[1].value != back.metrics[1].value
        with stored.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT count(*) FROM metrics WHERE task_run_id = :r"), {"r": run.id}
            ).scalar()
        assert rows == 2  # sent as metric records, as an earlier server stores them
    finally:
        stored.close()
