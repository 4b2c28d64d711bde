"""Issue 14 on the SQL store itself (SQLite and PostgreSQL, no server): the same limits as the
server's edge, records that never jam the spool, history that is never rewritten, and stored rows
from before the limits that still read."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

import trackline
from trackline.errors import Conflict, InvalidInput
from trackline.model.limits import JSON_DEPTH, json_problem, repair_json
from trackline.model.runs import Artifact, ArtifactRef, Metric, PipelineRun, RunQuery, TaskRun
from trackline.store.quarantine import list_quarantined
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore


def _deep(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels):
        value = {"d": value}
    return value


def _run(run_id: str = "r1", **kw) -> TaskRun:
    return TaskRun(id=run_id, name=kw.pop("name", "step"), status=kw.pop("status", "success"), **kw)


def _m(metric_id: str, key: str, **kw) -> Metric:
    return Metric(id=metric_id, key=key, value=1.0, **kw)


def test_json_checks_are_iterative_and_repair_cuts_at_the_limit():
    very_deep = _deep(100_000)  # far beyond the recursion limit: neither check nor repair recurse
    assert "deeper than 64" in json_problem(very_deep)
    fixed = repair_json(very_deep)
    assert json_problem(fixed) is None
    level, node = 1, fixed
    while isinstance(node, dict):
        node, level = node["d"], level + 1
    assert level == JSON_DEPTH + 1 and node.startswith("<cut")
    assert repair_json({"a": "x\x00y", "b": float("nan")}) == {"a": "x\\0y", "b": "nan"}
    ok = {"a": [1, 2, {"b": "c"}]}
    assert repair_json(ok) is ok  # nothing to repair: the same object, no copy


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (_run(external_ids=_deep(100)), "external_ids"),
        (_run(params={"p": _deep(100)}), "params.p"),
        (_run(name="n" * 513), "name"),
        (_run(status="s" * 33), "status"),
        (_run(host="h\x00"), "host"),
        (_run(pid=2**31), "pid"),
        (_run(metrics=[Metric(key="k", value=1.0)]), "metrics.0.id"),
        (_run(metrics=[Metric(id="m", key="k", value=1.0, step=2**63)]), "metrics.0.step"),
        # A key is checked once per run and plain ids skip the full check: the rest still is.
        (_run(metrics=[_m("a", "k"), _m("b", "k\x00")]), "metrics.1.key"),
        (_run(metrics=[_m("a", "k"), _m("b", "k" * 513)]), "metrics.1.key"),
        (_run(metrics=[_m("a", "k"), _m("a\x00", "k")]), "metrics.1.id"),
        (_run(metrics=[_m("é" * 65, "k")]), "metrics.0.id"),
        (_run(metrics=[_m("a", "k"), _m("a", "k")]), "metrics.1.id"),
        (
            _run(metrics=[_m("a", "k", timestamp=datetime(1899, 12, 31, tzinfo=UTC))]),
            "metrics.0.timestamp",
        ),
        (PipelineRun(id="p1", pipeline="p", config=_deep(100)), "config"),
    ],
)
def test_direct_writes_get_the_same_limits_as_the_server(store_url, record, field):
    store = SqlStore(store_url)
    write = store.write_task_run if isinstance(record, TaskRun) else store.write_pipeline_run
    with pytest.raises(InvalidInput) as info:
        write(record)
    assert any(".".join(e["loc"]) == field for e in info.value.errors), info.value.errors
    assert store.list_runs(RunQuery()) == []  # nothing half-written
    store.close()


def test_finished_runs_are_immutable_and_metric_ids_scoped(store_url):
    store = SqlStore(store_url)
    first = _run("a", metrics=[Metric(id="m1", key="loss", value=1.0)])
    store.write_task_run(first)
    store.write_task_run(first)  # identical: a no-op
    with pytest.raises(Conflict, match="status"):
        store.write_task_run(_run("a", status="failed"))
    with pytest.raises(Conflict, match="metric id 'm1'"):
        store.write_task_run(_run("a", metrics=[Metric(id="m1", key="loss", value=9.0)]))
    store.write_task_run(_run("b", metrics=[Metric(id="m1", key="acc", value=0.5)]))
    assert store.get_run("a").status == "success"
    assert [m.value for m in store.get_run("a").metrics] == [1.0]
    assert [m.key for m in store.get_run("b").metrics] == ["acc"]  # same id, other run: kept
    store.close()


def test_a_retried_attempt_is_refined_never_rewritten(store_url):
    """The task's decorator says ``failed``, the orchestrator ``up_for_retry``, in either order:
    the attempt ends up for retry with the first error recorded; nothing else about it moves."""
    from trackline.model.runs import ErrorInfo

    store = SqlStore(store_url)
    boom = ErrorInfo(type="ValueError", message="bad input 7")
    later = ErrorInfo(type="prefect.Retrying", message="Retrying in 0s")
    store.write_task_run(_run("d", status="failed", error=boom))
    store.write_task_run(_run("d", status="up_for_retry", error=later))
    stored = store.get_run("d")
    assert (stored.status, stored.error.type, stored.error.message) == (
        "up_for_retry",
        "ValueError",
        "bad input 7",
    )
    store.write_task_run(_run("d", status="failed", error=boom))  # late news: stays refined
    assert store.get_run("d").status == "up_for_retry"
    store.write_task_run(_run("h", status="up_for_retry"))  # the hook did not see why
    store.write_task_run(_run("h", status="up_for_retry", error=later))  # the flow's end did
    assert store.get_run("h").error.message == "Retrying in 0s"
    with pytest.raises(Conflict, match="status"):  # a failure never becomes a success
        store.write_task_run(_run("d", status="success"))
    with pytest.raises(Conflict, match="name"):
        store.write_task_run(_run("d", name="other", status="up_for_retry"))
    store.close()


def test_digest_lookups_never_consult_names(store_url):
    store = SqlStore(store_url)
    real = Artifact(digest="a" * 64, kind="model", uri="s3://good/model.pkl")
    squat = Artifact(digest="b" * 64, kind="model", uri="s3://evil/backdoor.pkl", name="a" * 64)
    for i, art in enumerate((real, squat)):
        run = _run(f"r{i}", outputs=[ArtifactRef(name="m", digest=art.digest, kind="model")])
        run.artifacts = [art]
        store.write_task_run(run)
    assert store.get_artifact("a" * 64).uri == "s3://good/model.pkl"
    assert store.get_artifact("a" * 12).uri == "s3://good/model.pkl"
    store.close()


def test_refused_task_is_quarantined_and_recorded_reduced(use_store, caplog):
    @trackline.tracked_task(name="x" * 600)
    def step() -> int:
        return 1

    @trackline.tracked_task
    def healthy() -> int:
        return 2

    assert step() == 1 and healthy() == 2  # the user's code never notices
    trackline.connect().store.flush()  # refusals are met when the journal delivers
    spool = trackline.connect().store.spool
    quarantined = list_quarantined(spool.path)
    assert len(quarantined) == 1 and "at most 512" in quarantined[0].reason
    assert not spool.pending()
    found = trackline.connect().runs()
    reduced = next(r for r in found if r.name.startswith("x" * 10))
    assert "refused" in reduced.error.message and len(reduced.name) <= 512
    assert any(r.name.endswith(".healthy") and r.status == "success" for r in found)


def test_permanent_configuration_error_is_reported_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TRACKLINE_STORE", "nosuchscheme://once-per-process")

    @trackline.tracked_task
    def step(i: int) -> int:
        return i

    with caplog.at_level(logging.WARNING, logger="trackline"):
        for i in range(5):
            step(i)
        trackline.connect().store.flush()
    assert caplog.text.count("can never work as configured") == 1
    assert caplog.text.count("unavailable") == 0  # no warning per record
    assert len(trackline.connect().store.spool.pending()) == 5


def test_migration_repairs_rows_stored_beyond_the_limits(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0006")
    deep = json.dumps(_deep(300))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO task_runs (id, name, status, started_at, external_ids)"
                " VALUES ('old', 'kept', 'success', CURRENT_TIMESTAMP, :deep)"
            ),
            {"deep": deep},
        )
        conn.execute(
            sa.text("INSERT INTO params (task_run_id, key, value) VALUES ('old', 'p', :deep)"),
            {"deep": deep},
        )
    store = SqlStore(store_url)  # upgrades to head (0009 repairs)
    got = store.get_run("old")
    assert json_problem(got.external_ids) is None and json_problem(got.params["p"]) is None
    got.model_dump_json()  # serialisable again: the read that used to fail with a 500
    store.close()


def test_an_exception_text_with_nul_bytes_is_recorded_cleaned(use_store):
    @trackline.tracked_task
    def boom() -> None:
        raise ValueError("binary \x00 payload " + "y" * 2_000_000)

    with pytest.raises(ValueError):
        boom()
    (run,) = trackline.connect().runs()
    got = trackline.connect().run(run.id)
    assert got.status == "failed" and got.error.type == "ValueError"
    assert "\x00" not in got.error.message and got.error.message.startswith("binary \\0 payload")
    assert len(got.error.message) <= 1_048_576
