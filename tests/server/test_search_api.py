"""The search language through a real server: GET /api/v1/runs and /pipeline-runs with
where/order_by/columns/group_by/agg, the HTTP store, the CLI, and hostile expressions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from trackline.cli.main import cli
from trackline.errors import QueryError
from trackline.model.runs import Artifact, ArtifactRef, Metric, PipelineRun, TaskRun, utcnow
from trackline.query import MAX_LENGTH, Search, parse_where
from trackline.store.http import HttpStore
from trackline.store.sql.store import SqlStore

PIPE = "search-sweep"
LRS = [0.001, 0.01, 0.1]
F1 = [0.7, 0.9, 0.8, 0.95, 0.6, 0.85]


@pytest.fixture(scope="module")
def sweep(server):
    """Six pipeline runs written through the server by a writer token."""
    writer = HttpStore(server.url, token=server.tokens["writer"])
    now = utcnow()
    for i in range(6):
        pid = f"ssp{i}"
        started = now - timedelta(minutes=60 - i)
        writer.write_pipeline_run(
            PipelineRun(id=pid, pipeline=PIPE, status="success", started_at=started)
        )
        model = ArtifactRef(name="model", digest=f"ssmodel{i}" + "a" * 56, kind="model")
        writer.write_task_run(
            TaskRun(
                id=f"sstrain{i}",
                name="train",
                pipeline=PIPE,
                pipeline_run_id=pid,
                status="success",
                started_at=started,
                duration_s=5.0 + i,
                params={"lr": LRS[i % 3], "seed": "0.1" if i % 2 else 0.1},
                metrics=[
                    Metric(id=f"ssl{i}{s}", key="loss", value=1 - s / 10, step=s) for s in (0, 1)
                ],
                outputs=[model],
                artifacts=[Artifact(digest=model.digest, kind="model")],
            )
        )
        writer.write_task_run(
            TaskRun(
                id=f"sseval{i}",
                name="evaluate",
                pipeline=PIPE,
                pipeline_run_id=pid,
                status="success",
                started_at=started + timedelta(seconds=30),
                duration_s=1.0,
                inputs=[model],
                metrics=[Metric(id=f"ssf{i}", key="f1", value=F1[i])],
            )
        )
    yield writer
    writer.close()


def _get(server, path: str, **params) -> requests.Response:
    return requests.get(
        server.url + "/api/v1" + path, params=params, headers=server.headers("reader"), timeout=30
    )


def test_runs_endpoint_answers_searches(server, sweep):
    resp = _get(
        server,
        "/runs",
        where=f"pipeline = '{PIPE}' and params.lr > 0.005",
        order_by="params.lr desc, duration",
        columns="name,params.lr,metrics.loss",
        limit=3,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["columns"] == ["name", "params.lr", "metrics.loss"]
    assert [r["id"] for r in body["rows"]] == ["sstrain2", "sstrain5", "sstrain1"]
    assert body["rows"][0]["params"] == {"lr": 0.1}
    assert body["rows"][0]["metrics"] == {"loss": 0.9}  # the last step's value


def test_http_store_matches_the_sql_store(server, sweep):
    sql = SqlStore(server.store)
    try:
        for where in (
            f"pipeline = '{PIPE}' and params.seed = 0.1",
            f"pipeline = '{PIPE}' and params.seed = '0.1'",
            f"pipeline = '{PIPE}' and (metrics.f1 >= 0.85 or name like 'tr*') and not "
            "params.lr = 0.01",
            f"pipeline = '{PIPE}' and outputs = 'ssmodel3'",
        ):
            search = Search(where=where, order_by="started desc, name", columns="params.lr")
            assert sweep.search_runs(search) == sql.search_runs(search)
    finally:
        sql.close()


def test_pipeline_level_search_and_best_through_the_server(server, sweep):
    res = sweep.search_pipelines(
        Search(
            where=f"pipeline = '{PIPE}' and params.train.lr > 0.005 and metrics.evaluate.f1 > 0.8",
            order_by="metrics.evaluate.f1 desc",
            columns="params.train.lr,metrics.evaluate.f1",
        )
    )
    assert [(r["id"], r["metrics"]["evaluate.f1"]) for r in res.rows] == [
        ("ssp1", 0.9),
        ("ssp5", 0.85),
    ]
    raw = _get(server, "/pipeline-runs", where=f"pipeline = '{PIPE}'", order_by="started")
    assert [r["id"] for r in raw.json()["rows"]] == [f"ssp{i}" for i in range(6)]
    from trackline.best import best

    won = best(sweep, "metrics.evaluate.f1", pipeline=PIPE)
    assert won.run["id"] == "ssp3" and won.value == 0.95
    assert won.params == {"train": {"lr": 0.001, "seed": "0.1"}}
    assert [m.digest[:8] for m in won.models] == ["ssmodel3"]


def test_group_by_through_the_api(server, sweep):
    resp = _get(
        server,
        "/runs",
        where=f"pipeline = '{PIPE}'",
        group_by="name",
        agg="count, avg(duration), p95(duration)",
    )
    rows = {r["name"]: r for r in resp.json()["rows"]}
    assert rows["train"]["count"] == 6 and rows["train"]["avg(duration)"] == 7.5
    assert rows["evaluate"]["p95(duration)"] == 1.0


@pytest.mark.parametrize(
    "where",
    [
        "metric.acc > 0.9",
        "(name = 'a'",
        "",
        "name = 'a'; DROP TABLE task_runs",
        "x" * (MAX_LENGTH + 10),
    ],
)
def test_malformed_expressions_are_422_with_the_parser_message(server, sweep, where):
    with pytest.raises(QueryError) as local:
        parse_where(where)
    resp = _get(server, "/runs", where=where)
    assert resp.status_code == 422
    assert resp.json()["error"] == {"code": "invalid_query", "message": str(local.value)}
    with pytest.raises(QueryError) as remote:
        sweep.search_runs(Search(where=where))
    assert str(remote.value) == str(local.value)


def test_a_100kb_expression_is_refused_by_the_http_store(server, sweep):
    text = " or ".join(f"name = 'r{i}'" for i in range(8000))
    with pytest.raises(QueryError, match="the limit is 8,192 characters"):
        sweep.search_runs(Search(where=text))


def test_injection_through_the_server_is_data(server, sweep):
    for where in (
        'name = "x\'; DROP TABLE task_runs; --"',
        'params."lr\') OR 1=1 --" = 1',
        "name like '%'",
    ):
        resp = _get(server, "/runs", where=where)
        assert resp.status_code == 200 and resp.json()["rows"] == []
    assert _get(server, "/runs", where=f"pipeline = '{PIPE}'").json()["rows"]


def test_cli_against_the_server(server, sweep):
    env = {"TRACKLINE_STORE": server.url, "TRACKLINE_TOKEN": server.tokens["reader"]}
    out = CliRunner().invoke(
        cli,
        [
            "runs",
            "--where",
            f"pipeline = '{PIPE}' and metrics.f1 > 0.8",
            "--order-by",
            "metrics.f1 desc",
            "--json",
        ],
        env=env,
    )
    assert out.exit_code == 0, out.output
    assert [r["id"] for r in json.loads(out.stdout)] == ["sseval3", "sseval1", "sseval5"]
    bad = CliRunner().invoke(cli, ["runs", "--where", "metric.f1 > 1"], env=env)
    assert bad.exit_code == 2 and "did you mean 'metrics.f1'" in bad.stderr
    best = CliRunner().invoke(
        cli, ["best", "metrics.evaluate.f1", "--pipeline", PIPE, "--json"], env=env
    )
    assert best.exit_code == 0, best.output
    assert json.loads(best.stdout)["run"]["id"] == "ssp3"


def test_an_infinite_metric_is_infinity_in_searches_over_http_and_in_cli_json(server, tmp_path):
    """An infinite metric went through GET /runs?columns=... as null (the union response
    model's JSON settings), and the CLI's --json printed a bare Infinity token no strict JSON
    parser reads: both now carry the text "Infinity", as a run record does."""
    writer = HttpStore(server.url, token=server.tokens["writer"])
    try:
        writer.write_task_run(
            TaskRun(
                id="ssinf0",
                name="unbounded",
                status="success",
                metrics=[
                    Metric(id="ssinf0a", key="blowup", value=float("inf")),
                    Metric(id="ssinf0b", key="sink", value=float("-inf")),
                ],
            )
        )
    finally:
        writer.close()
    body = _get(server, "/runs", where="name = 'unbounded'", columns="metrics.blowup,metrics.sink")
    assert body.status_code == 200
    row = json.loads(body.text, parse_constant=_refuse)["rows"][0]
    assert row["metrics"] == {"blowup": "Infinity", "sink": "-Infinity"}

    local = SqlStore(f"sqlite:///{tmp_path / 'inf.db'}")
    local.write_task_run(
        TaskRun(
            id="ssinf1",
            name="unbounded",
            status="success",
            metrics=[Metric(id="ssinf1a", key="blowup", value=float("inf"))],
        )
    )
    local.close()
    out = CliRunner().invoke(
        cli,
        [
            "--store",
            f"sqlite:///{tmp_path / 'inf.db'}",
            "runs",
            "--columns",
            "metrics.blowup",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output, parse_constant=_refuse)[0]["metrics"] == {"blowup": "Infinity"}


def _refuse(token: str):
    raise ValueError(f"not JSON: {token}")
