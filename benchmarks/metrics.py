"""Metric writes per second: batched (one run, many log_metric calls) and one per transaction."""

from __future__ import annotations

import os
import shutil
import time

from _common import report, workdir


def main(n: int = 20_000, rounds: int = 3) -> None:
    home = workdir() / "metrics-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    os.environ.pop("TRACKLINE_STORE", None)
    import sqlite3
    import statistics

    import trackline
    from trackline.model.runs import Metric, TaskRun
    from trackline.store import get_store

    with trackline.task_run("warmup"):
        trackline.log_metric("x", 0.0)
    store = get_store()
    store.flush()
    path = workdir() / "metrics-floor.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE m (id TEXT PRIMARY KEY, k TEXT, v REAL, s INTEGER)")

    def tracked() -> float:
        t = time.perf_counter()
        with trackline.task_run("batched"):
            for step in range(n):
                trackline.log_metric("loss", 1.0 / (step + 1), step=step)
        store.flush()  # until the record is in the database, not only in the journal
        return n / (time.perf_counter() - t)

    def bare(round_: int) -> float:
        t = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO m VALUES (?, 'loss', ?, ?)",
            ((f"{round_}-{i}", 1.0, i) for i in range(n)),
        )
        db.execute("COMMIT")
        return n / (time.perf_counter() - t)

    # Alternate the two, a few rounds, medians: on a shared machine the load drifts between
    # two measurements taken one after the other.
    rates, floors = [], []
    for round_ in range(rounds):
        rates.append(tracked())
        floors.append(bare(round_))
    batched, floor = statistics.median(rates), statistics.median(floors)
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
    report(
        "log_metric batched in one run, incl. final commit (median of rounds)",
        batched,
        "metrics/s",
        "plain sqlite3 executemany, one commit",
        floor,
        aim="within 2x of the baseline",
        met=batched * 2 >= floor,
    )
    report("one metric per committed transaction", single, "metrics/s")
    stored = trackline.connect().run(trackline.connect().runs(name="batched")[0].id)
    if len(stored.metrics) != n:  # every round's run holds all its metrics
        raise SystemExit(f"expected {n} metrics stored, found {len(stored.metrics)}")


if __name__ == "__main__":
    main()
