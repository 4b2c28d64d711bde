"""The store suite: runs unchanged against SQLite and PostgreSQL (``store_url`` fixture)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from trackline.errors import AmbiguousRef, NotFound
from trackline.model.runs import (
    Artifact,
    ArtifactRef,
    Environment,
    ErrorInfo,
    Metric,
    PipelineRun,
    RunQuery,
    TaskRun,
    utcnow,
)
from trackline.store.sql.store import SqlStore


@pytest.fixture
def store(store_url):
    s = SqlStore(store_url)
    yield s
    s.close()


def _art(digest: str, kind: str = "dataset", **kw) -> Artifact:
    return Artifact(digest=digest, kind=kind, **kw)


def _run(
    run_id: str, name: str = "step", *, inputs=(), outputs=(), status="success", **kw
) -> TaskRun:
    arts = [_art(d) for _, d in (*inputs, *outputs)]
    return TaskRun(
        id=run_id,
        name=name,
        status=status,
        started_at=utcnow(),
        ended_at=utcnow(),
        duration_s=0.5,
        inputs=[ArtifactRef(name=s, digest=d, kind="dataset") for s, d in inputs],
        outputs=[ArtifactRef(name=s, digest=d, kind="dataset") for s, d in outputs],
        artifacts=arts,
        **kw,
    )


def test_write_and_read_back_everything(store):
    env = Environment(
        digest="e" * 64,
        python="3.11",
        platform="linux",
        hostname="h",
        packages={"numpy": "2.0"},
        packages_digest="p" * 64,
        git_commit="abc",
    )
    run = _run(
        "r1",
        "train",
        inputs=[("data", "a" * 64)],
        outputs=[("model", "b" * 64)],
        params={"lr": 0.1, "layers": [1, 2]},
        environment=env,
        code_digest="c" * 64,
        metrics=[
            Metric(id="m1", key="loss", value=0.5, step=1),
            Metric(id="m2", key="loss", value=float("nan"), step=2),
        ],
        external_ids={"dag_id": "d"},
        error=None,
    )
    store.write_task_run(run)
    got = store.get_run("r1")
    assert got.name == "train" and got.status == "success"
    assert got.params == {"lr": 0.1, "layers": [1, 2]}
    assert [(r.name, r.digest) for r in got.inputs] == [("data", "a" * 64)]
    assert [(r.name, r.digest) for r in got.outputs] == [("model", "b" * 64)]
    assert got.environment.packages == {"numpy": "2.0"} and got.environment.git_commit == "abc"
    assert got.external_ids == {"dag_id": "d"}
    losses = sorted(got.metrics, key=lambda m: m.step)
    assert losses[0].value == 0.5 and losses[1].value != losses[1].value  # NaN survives as NaN
    assert got.started_at.tzinfo is not None


def test_rewrite_is_idempotent_and_merges(store):
    run = _run(
        "r1", params={"a": 1}, metrics=[Metric(id="m1", key="k", value=1.0)], status="running"
    )
    store.write_task_run(run)
    store.write_task_run(run)  # a replay
    final = _run(
        "r1",
        params={"b": 2},
        status="success",
        error=None,
        metrics=[Metric(id="m2", key="k", value=2.0)],
        external_ids={"x": 1},
    )
    store.write_task_run(final)
    late_running = _run("r1", status="running", external_ids={"y": 2})
    store.write_task_run(late_running)  # a stale "running" record never downgrades a finished run
    got = store.get_run("r1")
    assert got.status == "success"
    assert got.params == {"a": 1, "b": 2}
    assert sorted(m.value for m in got.metrics) == [1.0, 2.0]
    assert got.external_ids == {"x": 1, "y": 2}
    assert len(store.list_runs(RunQuery())) == 1


def test_real_finish_beats_crashed(store):
    store.write_task_run(_run("r1", status="crashed"))
    store.write_task_run(
        _run("r1", status="failed", error=ErrorInfo(type="ValueError", message="bad"))
    )
    got = store.get_run("r1")
    assert got.status == "failed" and got.error.type == "ValueError"


def test_prefix_resolution(store):
    store.write_task_run(_run("abc111"))
    store.write_task_run(_run("abc222"))
    assert store.get_run("abc1").id == "abc111"
    with pytest.raises(AmbiguousRef):
        store.get_run("abc")
    with pytest.raises(NotFound):
        store.get_run("zzz")
    with pytest.raises(NotFound):
        store.get_run("x'; DROP TABLE task_runs; --")
    with pytest.raises(NotFound):
        store.get_run("%")  # wildcards are not a prefix match for everything
    assert len(store.list_runs(RunQuery())) == 2


def test_list_filters_and_order(store):
    for i in range(5):
        store.write_task_run(
            _run(
                f"r{i}",
                "a" if i % 2 else "b",
                pipeline="p1" if i < 3 else "p2",
                status="failed" if i == 4 else "success",
            )
        )
    assert {r.id for r in store.list_runs(RunQuery(pipeline="p2"))} == {"r3", "r4"}
    assert [r.id for r in store.list_runs(RunQuery(status="failed"))] == ["r4"]
    assert {r.id for r in store.list_runs(RunQuery(name="a"))} == {"r1", "r3"}
    assert len(store.list_runs(RunQuery(limit=2))) == 2
    newest = store.list_runs(RunQuery())
    assert newest[0].started_at >= newest[-1].started_at


def test_artifacts_and_names(store):
    store.write_task_run(_run("r1", outputs=[("out", "d" * 64)]))
    run = _run("r2", inputs=[("holdout", "d" * 64)])
    run.artifacts[0].name = "holdout"
    store.write_task_run(run)
    assert store.get_artifact("d" * 10).digest == "d" * 64
    assert store.get_artifact("holdout").digest == "d" * 64
    assert [a.digest for a in store.list_artifacts(kind="dataset")] == ["d" * 64]
    with pytest.raises(NotFound):
        store.get_artifact("nope")


def _chain(store, n: int) -> list[str]:
    """run0 -> a0 -> run1 -> a1 -> ... ; returns run ids."""
    ids = []
    for i in range(n):
        inputs = [("in", f"{i - 1:064d}")] if i else []
        store.write_task_run(
            _run(f"run{i}", f"step{i}", inputs=inputs, outputs=[("out", f"{i:064d}")])
        )
        ids.append(f"run{i}")
    return ids


def test_lineage_upstream_downstream_depth(store):
    ids = _chain(store, 4)
    up = store.lineage("run3", "upstream")
    assert {n.id for n in up.nodes if n.type == "task_run"} == set(ids)
    assert {(e.type) for e in up.edges} == {"input", "output"}
    assert len(up.edges) == 6  # 3 inputs + 3 outputs upstream of run3
    shallow = store.lineage("run3", "upstream", depth=2)
    assert {n.id for n in shallow.nodes if n.type == "task_run"} == {"run3", "run2"}
    down = store.lineage(f"{0:064d}", "downstream")
    assert {n.id for n in down.nodes if n.type == "task_run"} == {"run1", "run2", "run3"}
    both = store.lineage("run1", "both")
    assert {n.id for n in both.nodes if n.type == "task_run"} == set(ids)
    edge = next(e for e in up.edges if e.target == "run3")
    assert edge.source == f"{2:064d}" and edge.type == "input" and edge.name == "in"
    with pytest.raises(NotFound):
        store.lineage("missing")


def test_lineage_diamond_expands_each_node_once(store):
    store.write_task_run(_run("src", outputs=[("o", "1" * 64)]))
    store.write_task_run(_run("left", inputs=[("i", "1" * 64)], outputs=[("o", "2" * 64)]))
    store.write_task_run(_run("right", inputs=[("i", "1" * 64)], outputs=[("o", "3" * 64)]))
    store.write_task_run(_run("join", inputs=[("l", "2" * 64), ("r", "3" * 64)]))
    g = store.lineage("join", "upstream")
    ids = [n.id for n in g.nodes]
    assert len(ids) == len(set(ids)) == 7
    assert len(g.edges) == 7


def test_lineage_of_a_hub_spans_several_query_batches(store):
    # More readers than one batch of keys (1,000 on PostgreSQL, 5,000 on SQLite).
    hub, n = "h" * 64, 5_200
    runs = [
        _run(f"r{i:05d}", inputs=[("data", hub)], outputs=[("o", f"{i:064d}")]) for i in range(n)
    ]
    for r in runs:
        store.write_task_run(r)
    down = store.lineage(hub, "downstream")
    assert sum(n.type == "task_run" for n in down.nodes) == n
    assert sum(n.type == "artifact" for n in down.nodes) == n + 1
    assert len(down.edges) == 2 * n
    assert {n.name for n in down.nodes if n.type == "task_run"} == {"step"}


def test_pipeline_runs(store):
    store.write_pipeline_run(PipelineRun(id="p1", pipeline="etl", config={"day": "x"}))
    store.write_pipeline_run(
        PipelineRun(id="p1", pipeline="etl", status="success", ended_at=utcnow())
    )
    got = store.get_pipeline_run("p1")
    assert got.status == "success" and got.config == {"day": "x"}
    assert [p.id for p in store.list_pipeline_runs("etl")] == ["p1"]


def test_reap_stale_and_dead_local_process(store):
    old = utcnow() - timedelta(minutes=10)
    store.write_task_run(
        TaskRun(id="stale", name="s", status="running", started_at=old, heartbeat_at=old)
    )
    store.write_task_run(
        TaskRun(
            id="alive",
            name="a",
            status="running",
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            host=store._host,
            pid=os.getpid(),
        )
    )
    # a pid that cannot exist on this host: the process is gone, reap at once
    store.write_task_run(
        TaskRun(
            id="dead",
            name="d",
            status="running",
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            host=store._host,
            pid=2**22 + 17,
        )
    )
    store.write_pipeline_run(PipelineRun(id="p", pipeline="x", started_at=old, heartbeat_at=old))
    reaped = store.reap(utcnow() - timedelta(minutes=1))
    assert set(reaped) == {"stale", "dead", "p"}
    assert store.get_run("stale").status == "crashed"
    assert store.get_run("alive").status == "running"
    assert store.get_pipeline_run("p").status == "crashed"
    store.heartbeat(["alive"], [], utcnow())
    assert store.reap(utcnow() - timedelta(minutes=1)) == []
