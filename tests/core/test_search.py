"""Search over a real sweep on SQLite and PostgreSQL: every operator, typed params, metric
history, pipeline-level fields, ordering, grouping, ``best``, DataFrames, the CLI, and hostile
expressions (which must stay data)."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from trackline.client import Client
from trackline.config import Settings
from trackline.errors import NotFound, QueryError
from trackline.model.runs import (
    Artifact,
    ArtifactRef,
    Metric,
    PipelineRun,
    ResourceUsage,
    TaskRun,
    utcnow,
)
from trackline.query import Search
from trackline.store.sql.store import SqlStore

N = 12
LRS = [0.001, 0.01, 0.03, 0.1]
F1 = [0.51, 0.62, 0.93, 0.74, 0.85, 0.66, 0.97, 0.58, 0.89, 0.7, 0.81, 0.92]
NOW = utcnow()


def _art(digest: str, kind: str) -> tuple[ArtifactRef, Artifact]:
    return ArtifactRef(name=kind, digest=digest, kind=kind), Artifact(digest=digest, kind=kind)


def write_sweep(store: SqlStore) -> None:
    """12 pipeline runs of ``sweep``: train (params, loss history, a model) then evaluate (f1);
    pipeline run 0's evaluate ran twice (the later attempt counts)."""
    data_ref, data_art = _art("data" + "0" * 60, "dataset")
    for i in range(N):
        started = NOW - timedelta(hours=N - i)
        pid = f"pr{i:02d}"
        store.write_pipeline_run(
            PipelineRun(id=pid, pipeline="sweep", status="success", started_at=started)
        )
        model_ref, model_art = _art(f"model{i:02d}" + "f" * 57, "model")
        store.write_task_run(
            TaskRun(
                id=f"train{i:02d}",
                name="train",
                pipeline="sweep",
                pipeline_run_id=pid,
                status="failed" if i == 5 else "success",
                started_at=started,
                duration_s=10.0 + i,
                params={
                    "lr": LRS[i % 4],
                    "depth": i % 3 + 2,
                    "optimizer": "adam" if i % 2 else "sgd",
                    "seed": "0.1" if i % 2 else 0.1,
                    "use_gpu": i % 2 == 0,
                    "model.depth": i,
                    "layers": [i, i + 1],
                },
                metrics=[
                    Metric(id=f"l{i}-{s}", key="loss", value=1.0 / (i + 1) + (2 - s), step=s)
                    for s in (2, 0, 1)  # written out of order: step 2 is still the last
                ],
                resources=ResourceUsage(
                    cpu_user_s=float(i), cpu_system_s=0.5, peak_rss_bytes=1000 * (i + 1)
                ),
                inputs=[data_ref],
                outputs=[model_ref],
                artifacts=[data_art, model_art],
                external_ids={"dag_id": "sweep", "try_number": 1 + i % 2},
            )
        )
        attempts = [(F1[i], started + timedelta(minutes=5))]
        if i == 0:
            attempts = [(0.99, started + timedelta(minutes=2))] + attempts
        for n, (f1, at) in enumerate(attempts):
            store.write_task_run(
                TaskRun(
                    id=f"eval{i:02d}{n}",
                    name="evaluate",
                    pipeline="sweep",
                    pipeline_run_id=pid,
                    status="success",
                    started_at=at,
                    duration_s=1.0,
                    inputs=[model_ref],
                    metrics=[Metric(id=f"f{i}{n}", key="f1", value=f1)],
                )
            )
    # A run with no params or metrics at all, outside the pipeline.
    store.write_task_run(
        TaskRun(id="lonely", name="adhoc", status="success", started_at=NOW, duration_s=0.1)
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database")()
    s = SqlStore(url)
    write_sweep(s)
    yield s
    s.close()


def ids(store: SqlStore, where: str, **kw) -> list[str]:
    return [r["id"] for r in store.search_runs(Search(where=where, limit=1000, **kw)).rows]


def ids_set(store: SqlStore, where: str) -> set[str]:
    return set(ids(store, where))


TRAIN = {f"train{i:02d}" for i in range(N)}


def train(*idx: int) -> set[str]:
    return {f"train{i:02d}" for i in idx}


def test_comparisons_on_params(store):
    assert ids_set(store, "params.lr = 0.1") == train(3, 7, 11)
    assert ids_set(store, "params.lr != 0.1") == TRAIN - train(3, 7, 11)
    assert ids_set(store, "params.lr > 0.01") == train(2, 3, 6, 7, 10, 11)
    assert ids_set(store, "params.lr >= 0.01") == train(1, 2, 3, 5, 6, 7, 9, 10, 11)
    assert ids_set(store, "params.lr < 0.01") == train(0, 4, 8)
    assert ids_set(store, "params.lr <= 0.001") == train(0, 4, 8)
    assert ids_set(store, "params.depth = 2") == train(0, 3, 6, 9)  # int param, int literal


def test_params_compare_by_type(store):
    # "0.1" the string and 0.1 the number are different values
    assert ids_set(store, "params.seed = 0.1") == train(0, 2, 4, 6, 8, 10)
    assert ids_set(store, "params.seed = '0.1'") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "params.seed > 0.05") == train(0, 2, 4, 6, 8, 10)
    assert ids_set(store, "params.use_gpu = true") == train(0, 2, 4, 6, 8, 10)
    assert ids_set(store, "params.use_gpu = false") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "params.optimizer = 1") == set()
    assert ids_set(store, "params.layers = '[3,4]'") == train(3)


def test_in_not_in_like(store):
    assert ids_set(store, "params.optimizer in ('adam', 'nadam')") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "params.lr not in (0.001, 0.01)") == train(2, 3, 6, 7, 10, 11)
    assert ids_set(store, "params.seed in (0.1, 'nothing')") == train(0, 2, 4, 6, 8, 10)
    assert ids_set(store, "params.optimizer like 'ad*'") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "params.optimizer like 'S*'") == set()  # case-sensitive
    assert ids_set(store, "params.optimizer not like '?gd'") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "name like 'ev*' and pipeline_run = 'pr00'") == {"eval000", "eval001"}
    assert len(ids_set(store, "name like '*'")) == 2 * N + 2


def test_null_checks_and_columns(store):
    assert ids_set(store, "params.lr is null") == {f"eval{i:02d}0" for i in range(N)} | {
        "eval001",
        "lonely",
    }
    assert ids_set(store, "params.lr is not null") == TRAIN
    assert ids_set(store, "pipeline is null") == {"lonely"}
    assert ids_set(store, "status = 'failed'") == train(5)
    assert ids_set(store, "duration >= 20") == train(10, 11)
    assert ids_set(store, "name = 'adhoc' and started > -1h") == {"lonely"}
    assert ids_set(store, "name = 'train' and started < -11.5h") == train(0)
    first = (NOW - timedelta(hours=N)).isoformat()
    assert ids_set(store, f"name = 'train' and started <= '{first}'") == train(0)


def test_and_or_not_parentheses(store):
    a = "params.lr = 0.1 or params.lr = 0.001 and params.depth = 2"
    b = "(params.lr = 0.1 or params.lr = 0.001) and params.depth = 2"
    assert ids_set(store, a) == train(3, 7, 11, 0)  # and binds tighter
    assert ids_set(store, b) == train(3, 0)
    assert ids_set(store, "not params.lr = 0.1 and name = 'train'") == TRAIN - train(3, 7, 11)


def test_quoted_keys(store):
    assert ids_set(store, 'params."model.depth" > 9') == train(10, 11)
    assert ids_set(store, "params.model.depth > 9") == train(10, 11)


def test_metrics_last_min_max_over_steps(store):
    rows = store.search_runs(
        Search(
            where="name = 'train' and metrics.loss < 0.2",
            columns="metrics.loss, metrics.loss.min, metrics.loss.max",
            order_by="metrics.loss",
        )
    ).rows
    # the last value is step 2's (1/(i+1)), whatever order the steps were written in
    assert [r["id"] for r in rows] == [f"train{i:02d}" for i in range(11, 4, -1)]
    assert rows[0]["metrics"] == {
        "loss": pytest.approx(1 / 12),
        "loss.min": pytest.approx(1 / 12),
        "loss.max": pytest.approx(1 / 12 + 2),
    }
    assert ids_set(store, "metrics.loss.max > 2.3") == train(0, 1, 2)


def test_metric_history_merge_updates_the_latest_value(store):
    run = store.get_run("train04")
    run.metrics = [Metric(id="late-4", key="loss", value=-1.0, step=3)]
    store.write_task_run(run)  # a merge: the history gains a later step
    got = store.search_runs(
        Search(where="metrics.loss < 0", columns="metrics.loss,metrics.loss.max")
    ).rows
    assert [(r["id"], r["metrics"]["loss"]) for r in got] == [("train04", -1.0)]
    assert got[0]["metrics"]["loss.max"] == pytest.approx(1 / 5 + 2)
    run.metrics = [Metric(id="late-4b", key="loss", value=0.2, step=1)]  # an earlier step
    store.write_task_run(run)
    assert ids(store, "metrics.loss < 0") == ["train04"]


def test_resources_external_and_io(store):
    assert ids_set(store, "resources.cpu_s > 10") == train(10, 11)  # user + system
    assert ids_set(store, "resources.peak_rss >= 12000") == train(11)
    assert ids_set(store, "external.try_number = 2") == train(1, 3, 5, 7, 9, 11)
    assert ids_set(store, "external.dag_id = 'sweep' and external.try_number > 1") == train(
        1, 3, 5, 7, 9, 11
    )
    assert ids_set(store, "external.dag_id > 1") == set()  # a string never compares as number
    assert ids_set(store, "outputs = 'model03'") == train(3)
    assert ids_set(store, "inputs = 'model03'") == {"eval030"}
    assert ids_set(store, "inputs = 'data' and name = 'train'") == TRAIN
    assert ids_set(store, "outputs in ('model01', 'model02')") == train(1, 2)
    assert ids_set(store, "outputs like 'model1*'") == train(10, 11)
    assert ids_set(store, "name = 'train' and outputs != 'model0'") == train(10, 11)
    assert ids_set(store, "inputs is null") == {"lonely"}


def test_order_by_puts_missing_values_last_and_limits(store):
    got = ids(store, "name != 'x'", order_by="params.lr desc, duration desc")[:5]
    assert got == ["train11", "train07", "train03", "train10", "train06"]
    tail = ids(store, "pipeline_run = 'pr00' or name = 'adhoc'", order_by="params.lr")
    assert tail[0] == "train00" and set(tail[1:]) == {"eval000", "eval001", "lonely"}
    page = store.search_runs(Search(order_by="metrics.f1 desc", limit=3)).rows
    assert [r["id"] for r in page] == ["eval000", "eval060", "eval020"]
    assert page[0]["metrics"] == {"f1": 0.99}


def test_default_columns_follow_the_question(store):
    res = store.search_runs(Search(where="params.lr > 0.05", order_by="metrics.loss"))
    assert res.columns == ["metrics.loss", "params.lr"]
    assert set(res.rows[0]) >= {"id", "name", "status", "started_at", "params", "metrics"}


def test_pipeline_scope(store):
    res = store.search_pipelines(
        Search(
            where="params.train.lr > 0.01 and metrics.evaluate.f1 > 0.8",
            order_by="metrics.evaluate.f1 desc",
            columns="params.train.lr, metrics.evaluate.f1",
        )
    )
    assert [(r["id"], r["metrics"]["evaluate.f1"]) for r in res.rows] == [
        ("pr06", 0.97),
        ("pr02", 0.93),
        ("pr11", 0.92),
        ("pr10", 0.81),
    ]
    assert res.rows[0]["params"] == {"train.lr": 0.03}
    # pr00's evaluate ran twice: the later attempt (0.51) counts, not the earlier 0.99
    first = store.search_pipelines(Search(where="id = 'pr00'", columns="metrics.evaluate.f1"))
    assert first.rows[0]["metrics"]["evaluate.f1"] == 0.51
    assert [
        r["id"]
        for r in store.search_pipelines(
            Search(where="outputs = 'model04' or inputs = 'model05'")
        ).rows
    ] == ["pr05", "pr04"]
    with pytest.raises(QueryError, match="resources are fields of task runs"):
        store.search_pipelines(Search(where="resources.cpu_s > 1"))


def test_group_by_with_aggregates(store):
    res = store.search_runs(
        Search(
            where="pipeline = 'sweep'",
            group_by="name",
            agg="count, avg(duration), p95(duration), max(resources.peak_rss), "
            "sum(resources.cpu_s)",
        )
    )
    assert res.grouped and res.columns[0] == "name"
    by = {r["name"]: r for r in res.rows}
    assert by["evaluate"]["count"] == 13 and by["train"]["count"] == 12
    durations = sorted(10.0 + i for i in range(N))
    pos = (len(durations) - 1) * 0.95
    p95 = durations[int(pos)] + (durations[int(pos) + 1] - durations[int(pos)]) * (pos % 1)
    assert by["train"]["p95(duration)"] == pytest.approx(p95)
    assert by["train"]["avg(duration)"] == pytest.approx(sum(durations) / N)
    assert by["train"]["max(resources.peak_rss)"] == 12000
    assert by["train"]["sum(resources.cpu_s)"] == pytest.approx(sum(range(N)) + 0.5 * N)
    assert by["evaluate"]["max(resources.peak_rss)"] is None
    two = store.search_runs(Search(where="name = 'train'", group_by="name, params.optimizer"))
    assert sorted((r["params.optimizer"], r["count"]) for r in two.rows) == [
        ("adam", 6),
        ("sgd", 6),
    ]
    total = store.search_runs(Search(agg="count"))
    assert total.rows == [{"count": 2 * N + 2}]


@pytest.mark.parametrize(
    "where",
    [
        'name = "x\'; DROP TABLE task_runs; --"',
        "name = 'x\\' OR \\'1\\'=\\'1'",
        'params."lr\') OR 1=1 --" = 1',
        "external.\"a'); DELETE FROM params; --\" = 'x'",
        "name like '%'",
        "name like '_rain00'",
        "outputs = '%'",
        "name in ('a\" OR 1=1 --', ')) OR ((1=1')",
    ],
)
def test_injection_attempts_are_data(store, where):
    assert ids(store, where) == []
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM task_runs")).scalar() == 2 * N + 2
        assert conn.execute(sa.text("SELECT count(*) FROM params")).scalar() == 7 * N


@pytest.mark.parametrize(
    "where, message",
    [
        ("metric.acc > 0.9", "unknown field 'metric.acc' at column 1 (did you mean"),
        ("(name = 'a'", "ends early at column 12"),
        ("", "the expression is empty"),
        (" or ".join(f"name = 'r{i}'" for i in range(8000)), "the limit is 8,192 characters"),
    ],
)
def test_bad_expressions_raise_query_error(store, where, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(")):
        store.search_runs(Search(where=where))


def test_best_pipeline_run_and_best_run(store):
    client = Client(store, Settings(store=store.url))
    won = client.best("metrics.evaluate.f1", pipeline="sweep")
    assert won.scope == "pipelines" and won.run["id"] == "pr06" and won.value == 0.97
    assert won.params == {
        "train": store.get_run("train06").params,
    }
    assert [m.digest for m in won.models] == ["model06" + "f" * 57]
    assert [i.digest for i in won.inputs] == ["data" + "0" * 60]
    low = client.best("metrics.loss", lowest=True)
    assert low.scope == "runs" and low.run["id"] == "train04"  # -1.0 after the merge test
    with pytest.raises(NotFound):
        client.best("metrics.evaluate.f1", pipeline="nope")
    with pytest.raises(QueryError, match="not a metric"):
        client.best("params.lr")


def test_runs_df_has_typed_columns(store):
    client = Client(store, Settings(store=store.url))
    df = client.runs_df(
        where="name = 'train'",
        columns="params.lr, params.depth, params.use_gpu, params.optimizer, metrics.loss",
        order_by="params.lr desc",
    )
    assert len(df) == N
    assert df["params.lr"].dtype == "float64"
    assert df["params.depth"].dtype == "Int64"
    assert df["params.use_gpu"].dtype == "boolean"
    assert df["params.optimizer"].dtype == "string"
    assert df["metrics.loss"].dtype == "float64"
    assert isinstance(df["started_at"].dtype, pd.DatetimeTZDtype)
    assert df["params.lr"].iloc[0] == 0.1


def test_cli_search_commands(store, monkeypatch):
    from click.testing import CliRunner

    from trackline.cli import cli as group

    run = CliRunner().invoke
    base = ["--store", store.url]
    out = run(
        group,
        base
        + [
            "runs",
            "--where",
            "params.lr > 0.05",
            "--order-by",
            "metrics.loss desc",
            "--columns",
            "name,params.lr,metrics.loss",
            "--limit",
            "2",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["id"] for r in rows] == ["train03", "train07"]
    assert rows[0]["params"] == {"lr": 0.1} and set(rows[0]["metrics"]) == {"loss"}
    table = run(group, base + ["runs", "--where", "params.lr > 0.05", "--status", "success"])
    assert table.exit_code == 0 and "PARAMS.LR" in table.stdout
    assert "train03" in table.stdout and table.stdout.count("train") == 6
    bad = run(group, base + ["runs", "--where", "metric.acc > 0.9"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "error: unknown field 'metric.acc' at column 1 (did you mean 'metrics.acc'?)"
    )
    pipes = run(
        group,
        base
        + [
            "pipelines",
            "--pipeline",
            "sweep",
            "--where",
            "params.train.lr > 0.01 and metrics.evaluate.f1 > 0.8",
            "--order-by",
            "metrics.evaluate.f1 desc",
            "--json",
        ],
    )
    assert [r["id"] for r in json.loads(pipes.stdout)] == ["pr06", "pr02", "pr11", "pr10"]
    grouped = run(
        group, base + ["runs", "--group-by", "name", "--agg", "count, p95(duration)", "--json"]
    )
    assert {r["name"]: r["count"] for r in json.loads(grouped.stdout)}["train"] == N
    best = run(group, base + ["best", "metrics.evaluate.f1", "--pipeline", "sweep"])
    assert best.exit_code == 0, best.output
    assert "best pipeline run: pr06" in best.stdout
    assert "train.lr = 0.03" in best.stdout and "model06" in best.stdout
    assert "data0000" in best.stdout


def test_fail_safe_store_forwards_searches_and_raises_read_errors(store):
    from trackline.store import FailSafeStore

    wrapped = FailSafeStore(Settings(store=store.url), lambda: store)
    search = Search(where="params.lr = 0.1", order_by="started")
    assert wrapped.search_runs(search) == store.search_runs(search)
    assert wrapped.search_pipelines(Search(where="id = 'pr01'")).rows[0]["id"] == "pr01"
    with pytest.raises(QueryError):
        wrapped.search_runs(Search(where="nope = 1"))
