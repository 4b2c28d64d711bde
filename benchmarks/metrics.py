"""Metric writes per second: batched (one run, many log_metric calls) and one per transaction.

The aim's baseline is the one the issue measured: plain ``sqlite3`` ``executemany`` of constant
rows into a four-column table, one commit — the floor of any per-metric work. Beside it, for
context and not as the aim: a plain script storing the same rows trackline stores for each metric
(run id, a unique id, key, value, step, UTC time), each row made as the values arrive, into a
table of the same shape (primary key ``(task_run_id, id)``, index ``(task_run_id, key)``).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import UTC, datetime

from _common import report, workdir

_METRICS_TABLE = (
    "CREATE TABLE metrics (task_run_id VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, "
    "key VARCHAR(512) NOT NULL, value FLOAT, step BIGINT, timestamp DATETIME, "
    "PRIMARY KEY (task_run_id, id))"
)


def main(n: int = 20_000, rounds: int = 3) -> None:
    home = workdir() / "metrics-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    os.environ.pop("TRACKLINE_STORE", None)
    import sqlite3
    import statistics

    import trackline
    from trackline.capture import heartbeat
    from trackline.model.runs import Metric, TaskRun
    from trackline.store import get_store

    with trackline.task_run("warmup"):
        trackline.log_metric("x", 0.0)
    store = get_store()
    store.flush()
    path = workdir() / "metrics-floor.db"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # what trackline's SQLite store uses
    db.execute(_METRICS_TABLE)
    db.execute("CREATE INDEX ix_metrics_run_key ON metrics (task_run_id, key)")
    db.execute("CREATE TABLE m (id TEXT PRIMARY KEY, k TEXT, v REAL, s INTEGER)")

    def tracked(name: str, wait: float = 0.0) -> float:
        with trackline.task_run(name):
            if wait:  # past the first heartbeat: the run is stored, its final record merges
                time.sleep(wait)
            t = time.perf_counter()
            for step in range(n):
                trackline.log_metric("loss", 1.0 / (step + 1), step=step)
        store.flush()  # until the record is in the database, not only in the journal
        return n / (time.perf_counter() - t)

    def same_rows() -> float:
        t = time.perf_counter()
        run = uuid.uuid4().hex
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, 'loss', ?, ?, ?)",
            (
                (run, uuid.uuid4().hex, 1.0 / (i + 1), i, datetime.now(UTC).isoformat(" "))
                for i in range(n)
            ),
        )
        db.execute("COMMIT")
        return n / (time.perf_counter() - t)

    def floor(round_: int) -> float:
        t = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO m VALUES (?, 'loss', ?, ?)",
            ((f"{round_}-{i}", 1.0, i) for i in range(n)),
        )
        db.execute("COMMIT")
        return n / (time.perf_counter() - t)

    # Alternate them, a few rounds, medians: on a shared machine the load drifts between
    # two measurements taken one after the other.
    rates, merged, bases, floors = [], [], [], []
    for round_ in range(rounds):
        rates.append(tracked("batched"))
        bases.append(same_rows())
        merged.append(tracked("long", wait=heartbeat.FIRST_BEAT_S * 2 + 0.1))
        floors.append(floor(round_))
    batched, base = statistics.median(rates), statistics.median(bases)
    bottom = statistics.median(floors)
    report(
        "log_metric batched in one run, incl. final commit (median of rounds)",
        batched,
        "metrics/s",
        "plain sqlite3 executemany of constant rows, 4-column table",
        bottom,
        aim="within 2x of the baseline",
        met=batched * 2 >= bottom,
    )
    report(
        "log_metric batched, against a script storing the same rows",
        batched,
        "metrics/s",
        "executemany of the same rows, same table shape, rows made in the loop",
        base,
    )
    report(
        "the same in a run past its first heartbeat (record merged)",
        statistics.median(merged),
        "metrics/s",
        "executemany of the same rows (as above)",
        base,
    )
    m = n // 20
    t = time.perf_counter()
    backend = store.backend  # synchronous: one committed transaction per record, no journal
    for i in range(m):  # what a per-metric flush costs: one run record carrying one new metric
        backend.write_task_run(
            TaskRun(
                id=f"single-{i}",
                name="single",
                status="success",
                metrics=[Metric(id=f"m{i}", key="loss", value=float(i), step=i)],
            )
        )
    store.flush()
    single = m / (time.perf_counter() - t)
    report("one metric per committed transaction", single, "metrics/s")
    client = trackline.connect()
    for name in ("batched", "long"):  # every round's run holds all its metrics
        for run in client.runs(name=name):
            stored = client.run(run.id)
            if len(stored.metrics) != n or stored.status != "success":
                raise SystemExit(f"{name}: expected {n} metrics stored, found {stored.metrics}")


if __name__ == "__main__":
    main()
