"""Metrics added to a run that is already stored (a long run's heartbeat snapshots, then its
final record): the latest/min/max index folds only the new metrics, and must equal a fold of the
whole history; a record may carry more metrics than a statement may have bound parameters."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import sqlalchemy as sa

from trackline.model.runs import Metric, TaskRun
from trackline.store.sql.dialect import utc
from trackline.store.sql.searchindex import T_LATEST, latest_tuples
from trackline.store.sql.store import SqlStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _latest(store: SqlStore, run_id: str) -> dict:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(T_LATEST).where(T_LATEST.c.task_run_id == run_id)).all()
    return {r.key: (r.value, r.step, r.min_value, r.max_value) for r in rows}


def _expected(history: list[Metric]) -> dict:
    # Timestamps as the store reads them back (microseconds, UTC) decide ties the same way.
    return {
        k: (v, step, lo, hi)
        for k, v, step, _, lo, hi in latest_tuples(
            (m.key, m.value, m.step, m.timestamp, m.id) for m in history
        )
    }


def test_folding_batches_equals_folding_the_whole_history(store_url):
    store = SqlStore(store_url)
    rnd = random.Random(7)
    run = TaskRun(id="long", name="train", status="running", started_at=T0)
    store.write_task_run(run)
    history: list[Metric] = []
    n = 0
    for batch_no in range(12):
        batch = []
        for _ in range(rnd.randint(1, 40)):
            n += 1
            key = rnd.choice(["loss", "acc", "lr"])
            # Steps that go back and repeat, no step at all, NaN and equal timestamps: every
            # tie-break of the "last value" order is exercised.
            step = rnd.choice([None, rnd.randint(0, 6), batch_no])
            value = rnd.choice([float("nan"), rnd.uniform(-5, 5), 1.0])
            ts = T0 + timedelta(seconds=rnd.choice([0, 1, n]))
            batch.append(Metric(id=f"m{n:05d}", key=key, value=value, step=step, timestamp=ts))
        if batch_no % 4 == 3:  # a replay of metrics already stored changes nothing
            batch += rnd.sample(history, min(5, len(history)))
        run.metrics = batch
        store.write_task_run(run)
        history += [m for m in batch if m not in history]
        got, want = _latest(store, "long"), _expected(history)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], nan_ok=True), (batch_no, key)
    assert len(store.get_run("long").metrics) == len(history)


def test_a_merge_with_more_metrics_than_bound_parameters(tmp_path):
    """SQLite refuses a statement with more bound parameters than its limit (999 in builds
    before 3.32, 250,000 in Debian's): the stored run's metric checks go in slices."""
    store = SqlStore(f"sqlite:///{tmp_path / 'limit.db'}")

    @sa.event.listens_for(store.engine, "connect")
    def _small_limit(dbapi_conn, _record):
        dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)

    store.engine.dispose()  # pooled connections made before the listener: reopened with it
    run = TaskRun(id="big", name="train", status="running", started_at=T0)
    store.write_task_run(run)  # the heartbeat's snapshot: the final record is a merge
    run.status = "success"
    run.metrics = [
        Metric(id=f"m{i}", key=f"k{i % 1500}", value=float(i), step=i, timestamp=T0)
        for i in range(5000)
    ]
    store.write_task_run(run)
    run.metrics = run.metrics[:2500]  # replayed: still no statement over the limit
    store.write_task_run(run)
    stored = store.get_run("big")
    assert stored.status == "success"
    assert len(stored.metrics) == 5000
    assert _latest(store, "big")["k7"] == (4507.0, 4507, 7.0, 4507.0)


def test_a_merged_metric_time_is_stored_in_utc_like_a_new_runs(store_url):
    """A caller's own timestamp in another zone: the history row and the latest row hold the
    same instant, whichever path (new run or merge) wrote them."""
    store = SqlStore(store_url)
    plus2 = dt_timezone(timedelta(hours=2))
    at = datetime(2026, 3, 1, 12, 0, tzinfo=plus2)  # 10:00 UTC
    run = TaskRun(id="tz", name="train", status="running", started_at=T0)
    store.write_task_run(run)
    run.metrics = [Metric(id="t1", key="loss", value=1.0, step=1, timestamp=at)]
    store.write_task_run(run)  # a merge
    with store.engine.connect() as conn:
        latest = conn.execute(sa.select(T_LATEST.c.timestamp)).scalar_one()
    [stored] = store.get_run("tz").metrics
    assert stored.timestamp == at
    assert utc(latest) == at
