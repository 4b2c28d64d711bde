"""Metric series: ``log_metric`` keeps points in columns and the store keeps one row per series.

What is read back must be every point logged (value, step, time to the microsecond, NaN and
infinities included), the search index must equal a fold of the whole history however the
points arrived (series, single records, merged snapshots, replays), and SQL readers must be
able to expand a series with the queries docs/concepts.md gives.
"""

from __future__ import annotations

import decimal
import math
import random
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

import trackline
from trackline.capture.metrics import MetricBuffer
from trackline.capture.recorder import RunRecorder
from trackline.errors import Conflict, InvalidInput
from trackline.model.limits import check_task_run
from trackline.model.runs import SERIES_MAX, Metric, MetricSeries, TaskRun, point_micros
from trackline.store import get_store
from trackline.store.sql.searchindex import T_LATEST, latest_tuples
from trackline.store.sql.store import SqlStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
US0 = point_micros(T0)


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _latest(store: SqlStore, run_id: str) -> dict:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(T_LATEST).where(T_LATEST.c.task_run_id == run_id)).all()
    return {r.key: (r.value, r.step, r.min_value, r.max_value) for r in rows}


def test_a_recorded_run_reads_back_every_point(use_store):
    odd = [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324, 1.7976931348623157e308]
    when = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5)))
    with trackline.task_run("train") as rec:
        for step in range(SERIES_MAX * 2 + 7):  # one key split over three series
            trackline.log_metric("loss", 1.0 / (step + 1), step=step)
        rec.write_running()  # a snapshot: the rest of the run is merged into it
        for i, v in enumerate(odd):
            trackline.log_metric("odd", v, step=None if i % 2 else i)
        rec.log_metric("at", 1, timestamp=when)  # an int, another zone
        rec.log_metric("at", 2, timestamp="2025-06-01T07:00:00.123457")  # naive text: UTC
        trackline.log_metrics({"acc": 0.5, 7: 0.25}, step=3)  # a key that is not a string
    run = trackline.connect().run(rec.id)
    assert run.status == "success" and run.metric_series == []
    loss = [m for m in run.metrics if m.key == "loss"]
    assert [(m.value, m.step) for m in loss] == [
        (1.0 / (s + 1), s) for s in range(SERIES_MAX * 2 + 7)
    ]
    assert len({m.id for m in run.metrics}) == len(run.metrics)
    got = [(m.value, m.step) for m in run.metrics if m.key == "odd"]
    assert len(got) == len(odd)
    assert all(_same(g, v) for (g, _), v in zip(got, odd))
    assert math.copysign(1, got[3][0]) == -1  # -0.0 stays negative zero
    assert [s for _, s in got] == [0, None, 2, None, 4, None]
    at = [m for m in run.metrics if m.key == "at"]
    assert [m.timestamp for m in at] == [
        when.astimezone(UTC),
        datetime(2025, 6, 1, 7, 0, 0, 123457, tzinfo=UTC),
    ]
    assert {(m.key, m.value, m.step) for m in run.metrics if m.key in ("acc", "7")} == {
        ("acc", 0.5, 3),
        ("7", 0.25, 3),
    }
    found = trackline.connect().search_runs(where="metrics.loss < 0.0001 and metrics.at = 2")
    assert [r["id"] for r in found.rows] == [rec.id]


def test_series_and_single_records_fold_like_the_whole_history(store_url):
    """Random batches, each of single metric records or of series, some replayed: the index
    equals a fold of every point read back, and the points read back are every point sent."""
    store = SqlStore(store_url)
    rnd = random.Random(11)
    run = TaskRun(id="mixed", name="train", status="running", started_at=T0)
    store.write_task_run(run)
    sent: list[tuple] = []
    replayable: list[tuple[list[Metric], list[MetricSeries]]] = []
    n = 0
    for batch_no in range(14):
        metrics, series = [], []
        for _ in range(rnd.randint(1, 4)):
            key = rnd.choice(["loss", "acc"])
            points = []
            for _ in range(rnd.randint(1, 30)):
                n += 1
                step = rnd.choice([None, rnd.randint(0, 5), batch_no])
                value = rnd.choice([float("nan"), rnd.uniform(-5, 5), 1.0])
                points.append((value, step, US0 + 1_000_000 * rnd.choice([0, 1, n])))
            if rnd.random() < 0.5:
                series.append(
                    MetricSeries(
                        id=f"s{n:05d}",
                        key=key,
                        values=[p[0] for p in points],
                        steps=[p[1] for p in points],
                        times=[p[2] for p in points],
                    )
                )
            else:
                metrics += [
                    Metric(
                        id=f"m{n:05d}-{i}",
                        key=key,
                        value=v,
                        step=s,
                        timestamp=T0 + timedelta(microseconds=t - US0),
                    )
                    for i, (v, s, t) in enumerate(points)
                ]
            sent += [(key, *p) for p in points]
        if batch_no % 3 == 2 and replayable:  # a replay of what is stored changes nothing
            old_m, old_s = rnd.choice(replayable)
            metrics, series = metrics + old_m, series + old_s
        replayable.append((metrics, series))
        run.metrics, run.metric_series = metrics, series
        store.write_task_run(run)
        stored = store.get_run("mixed").metrics
        expected = {
            k: (v, step, lo, hi)
            for k, v, step, _, lo, hi in latest_tuples(
                (m.key, m.value, m.step, m.timestamp, m.id) for m in stored
            )
        }
        got = _latest(store, "mixed")
        assert got.keys() == expected.keys()
        for key, row in got.items():
            assert all(_same(a, b) for a, b in zip(row, expected[key])), (batch_no, key)
    back = sorted(
        (m.key, repr(m.value), -1 if m.step is None else m.step, point_micros(m.timestamp))
        for m in store.get_run("mixed").metrics
    )
    assert back == sorted((k, repr(v), -1 if s is None else s, t) for k, v, s, t in sent)


def test_a_series_id_stored_with_other_points_is_refused(store_url):
    store = SqlStore(store_url)
    series = MetricSeries(id="s1", key="loss", values=[1.0, 2.0], steps=[0, 1], times=[US0, US0])
    run = TaskRun(id="r", name="train", status="running", metric_series=[series])
    store.write_task_run(run)
    store.write_task_run(run)  # a replay: nothing added
    assert len(store.get_run("r").metrics) == 2
    run.metric_series = [series.model_copy(update={"values": [1.0, 3.0]})]
    with pytest.raises(Conflict, match="s1"):
        store.write_task_run(run)
    assert [m.value for m in store.get_run("r").metrics] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("series", "where"),
    [
        (dict(values=[1.0], steps=[], times=[US0]), "metric_series.0"),
        (dict(values=[], steps=[], times=[]), "metric_series.0"),
        (
            dict(
                values=[1.0] * (SERIES_MAX + 1),
            ),
            "metric_series.0",
        ),
        (dict(steps=[2**63]), "metric_series.0.steps"),
        (dict(times=[point_micros(datetime(9999, 1, 1))]), "metric_series.0.times"),
        (dict(times=[point_micros(datetime(1800, 1, 1))]), "metric_series.0.times"),
        (dict(key="k\x00"), "metric_series.0.key"),
        (dict(key="λ\ud800"), "metric_series.0.key"),  # a lone surrogate
        (dict(key="k" * 513), "metric_series.0.key"),
        (dict(id="s\x00"), "metric_series.0.id"),
        (dict(id="x" * 58), "metric_series.0.id"),
    ],
)
def test_a_series_that_cannot_be_stored_is_refused_by_field(series, where):
    fields = {"id": "s1", "key": "loss", "values": [1.0], "steps": [0], "times": [US0], **series}
    if len(fields["values"]) > SERIES_MAX:
        n = len(fields["values"])
        fields["steps"], fields["times"] = [None] * n, [US0] * n
    run = TaskRun(id="r", name="t", metric_series=[MetricSeries(**fields)])
    with pytest.raises(InvalidInput) as err:
        check_task_run(run)
    assert any(".".join(e["loc"]) == where for e in err.value.errors), err.value.errors


def test_a_series_with_a_key_of_any_script_passes():
    s = MetricSeries(id="s1", key="точность λ 精度", values=[1.0], steps=[0], times=[US0])
    check_task_run(TaskRun(id="r", name="t", metric_series=[s]))


def test_a_series_id_used_twice_in_one_record_is_refused():
    s = MetricSeries(id="s1", key="loss", values=[1.0], steps=[0], times=[US0])
    with pytest.raises(InvalidInput, match="twice"):
        check_task_run(TaskRun(id="r", name="t", metric_series=[s, s]))


def test_log_metric_refuses_what_is_not_a_point():
    rec = RunRecorder("t")
    for bad in ("0.5", None, True, 10**400, [1.0]):
        with pytest.raises(InvalidInput):
            rec.log_metric("k", bad)
    with pytest.raises(InvalidInput, match="not a time"):
        rec.log_metric("k", 1.0, timestamp="yesterday")
    with pytest.raises(InvalidInput, match="beyond the range"):  # float() would give inf
        rec.log_metric("k", decimal.Decimal("1e400"))
    with pytest.raises(InvalidInput, match="step must be an integer"):
        rec.log_metric("k", 1.0, step="three")
    assert rec.metrics.take() == []
    rec.log_metric("k", decimal.Decimal("0.5"))  # a Decimal is a number (not numbers.Real)
    assert [s.values for s in rec.metrics.take()] == [[0.5]]


def test_points_logged_while_snapshots_are_taken_are_each_taken_once():
    """The heartbeat thread takes points while the run's thread logs them: none is lost, none
    is taken twice, none is torn."""
    buf = MetricBuffer()
    n = 200_000
    done = threading.Event()

    def log() -> None:
        for i in range(n):
            buf.log("a" if i % 3 else "b", float(i), i)
        done.set()

    taken: list[MetricSeries] = []
    t = threading.Thread(target=log)
    t.start()
    while not done.is_set():
        taken += buf.take()
    t.join()
    taken += buf.take()
    for key, want in (("a", [i for i in range(n) if i % 3]), ("b", list(range(0, n, 3)))):
        got = [v for s in taken if s.key == key for v in s.values]
        steps = [x for s in taken if s.key == key for x in s.steps]
        assert got == [float(i) for i in want] and steps == want
    assert all(len(s.values) == len(s.steps) == len(s.times) <= SERIES_MAX for s in taken)


def test_sql_readers_expand_a_series_as_the_docs_say(store_url):
    store = SqlStore(store_url)
    values = [0.5, float("nan"), float("inf")]
    series = MetricSeries(id="s1", key="loss", values=values, steps=[1, None, 3], times=[US0] * 3)
    store.write_task_run(TaskRun(id="r", name="t", metric_series=[series]))
    if store.engine.dialect.name == "sqlite":
        query = (
            "SELECT s.key, v.value, json_extract(s.steps, '$[' || v.key || ']') AS step, "
            "json_extract(s.times, '$[' || v.key || ']') AS micros "
            "FROM metric_series s, json_each(s.vals) AS v WHERE s.task_run_id = 'r' "
            "ORDER BY s.id, v.key"
        )
    else:
        query = (
            "SELECT s.key, (s.vals::jsonb ->> i)::float8 AS value, "
            "(s.steps::jsonb ->> i)::bigint AS step, (s.times::jsonb ->> i)::bigint AS micros "
            "FROM metric_series s, generate_series(0, s.n - 1) AS i WHERE s.task_run_id = 'r' "
            "ORDER BY s.id, i"
        )
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(query)).all()
    got = [(k, float(v), s, t) for k, v, s, t in rows]
    assert [(k, s, t) for k, _, s, t in got] == [
        ("loss", 1, US0),
        ("loss", None, US0),
        ("loss", 3, US0),
    ]
    assert all(_same(g[1], v) for g, v in zip(got, values))


def test_a_run_past_its_first_heartbeat_keeps_every_point(use_store):
    """The heartbeat thread writes the running record (taking the points so far) while the
    run logs; the final record is merged into it."""
    from trackline.capture import heartbeat

    with trackline.task_run("long") as rec:
        for i in range(3000):
            trackline.log_metric("loss", float(i), step=i)
            if i == 1500:
                time.sleep(heartbeat.FIRST_BEAT_S * 2 + 0.1)
    get_store().flush()
    run = trackline.connect().run(rec.id)
    assert [m.value for m in run.metrics] == [float(i) for i in range(3000)]
    found = trackline.connect().search_runs(where="metrics.loss = 2999")
    assert [r["id"] for r in found.rows] == [rec.id]


def test_a_run_writes_its_points_before_they_make_a_record_too_large(use_store, monkeypatch):
    """Past ``SNAPSHOT_POINTS`` unwritten points a run writes a running record on its own (a
    team server refuses bodies over 32 MiB): no series is written with more points than that."""
    from trackline.capture import metrics

    monkeypatch.setattr(metrics, "SNAPSHOT_POINTS", 1000)
    with trackline.task_run("tight-loop") as rec:
        for i in range(3500):
            trackline.log_metric("loss" if i % 2 else "acc", float(i), step=i)
    get_store().flush()
    store = SqlStore(use_store)
    try:
        with store.engine.connect() as conn:
            sizes = conn.execute(
                sa.text("SELECT n FROM metric_series WHERE task_run_id = :r"), {"r": rec.id}
            ).scalars()
            sizes = sorted(sizes)
        assert sum(sizes) == 3500 and len(sizes) >= 8 and max(sizes) <= 500
        run = store.get_run(rec.id)
        assert sorted(m.value for m in run.metrics) == [float(i) for i in range(3500)]
        assert run.status == "success"
    finally:
        store.close()


def test_a_killed_run_keeps_the_points_of_its_last_snapshot_and_shows_crashed(use_store):
    """SIGKILL after a heartbeat snapshot: the points written with it stay, and looking the
    run up (not only listing runs) closes it as crashed."""
    import os
    import signal
    import subprocess
    import sys

    child = (
        "import os, signal, time, trackline\n"
        "with trackline.task_run('doomed') as rec:\n"
        "    print(rec.id, flush=True)\n"
        "    for i in range(1000):\n"
        "        trackline.log_metric('loss', 1 / (i + 1), step=i)\n"
        "    time.sleep(1.5)\n"
        "    for i in range(1000, 1500):\n"
        "        trackline.log_metric('loss', 1 / (i + 1), step=i)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.returncode == -signal.SIGKILL
    run = trackline.connect().run(done.stdout.strip())
    assert run.status == "crashed"
    assert [m.step for m in run.metrics] == list(range(1000))
