"""How close can one row per metric get to the batched-metrics floor? (docs/benchmarks.md, Metrics)

Not trackline: the cheapest pipeline a tracker storing one row per metric could have, timed
against the floor of ``metrics.py`` in the same process. Metrics go into plain lists (no record
per point), the journal gets one JSON line, and ``executemany`` inserts straight from the lists
into a table shaped like trackline's ``metrics`` (primary key ``(task_run_id, id)``, index
``(task_run_id, key)``), ids derived from one token, times as text from a per-second cache.

    .venvs/bench/bin/python benchmarks/metric_rows_probe.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime

from _common import workdir

N = 20_000
_TABLE = (
    "CREATE TABLE metrics (task_run_id VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, "
    "key VARCHAR(512) NOT NULL, value FLOAT, step BIGINT, timestamp DATETIME, "
    "PRIMARY KEY (task_run_id, id))"
)


class Columns:
    """A run's metrics as four lists."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.values: list[float] = []
        self.steps: list[int | None] = []
        self.times: list[float] = []

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        if type(value) is not float and type(value) is not int:
            raise TypeError(key)
        self.keys.append(key if type(key) is str else str(key))
        self.values.append(value)
        self.steps.append(step)
        self.times.append(time.time())


_second: tuple[int, str] = (-1, "")


def _stamp(t: float) -> str:
    global _second
    sec = int(t)
    if _second[0] != sec:
        _second = (sec, datetime.fromtimestamp(sec, UTC).isoformat(" ")[:19])
    return f"{_second[1]}.{round((t - sec) * 1e6) % 1_000_000:06d}"


def main(rounds: int = 8) -> None:
    path = workdir() / "metric-rows-probe.db"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(_TABLE)
    db.execute("CREATE INDEX ix_metrics_run_key ON metrics (task_run_id, key)")
    db.execute("CREATE TABLE m (id TEXT PRIMARY KEY, k TEXT, v REAL, s INTEGER)")
    journal = os.open(workdir() / "metric-rows-probe.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for r in range(rounds):
        t = time.perf_counter()
        cols = Columns()
        for step in range(N):
            cols.log_metric("loss", 1.0 / (step + 1), step)
        line = {"keys": cols.keys, "values": cols.values, "steps": cols.steps, "t": cols.times}
        os.write(journal, json.dumps(line).encode() + b"\n")
        captured = time.perf_counter()
        run, token = f"run{r}", f"{r:016x}"
        db.execute("BEGIN")
        db.executemany(
            "INSERT OR IGNORE INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
            zip(
                [run] * N,
                [f"{token}{i:08x}" for i in range(N)],
                cols.keys,
                cols.values,
                cols.steps,
                map(_stamp, cols.times),
            ),
        )
        db.execute("COMMIT")
        done = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO m VALUES (?, 'loss', ?, ?)", ((f"{r}-{i}", 1.0, i) for i in range(N))
        )
        db.execute("COMMIT")
        floor = N / (time.perf_counter() - done)
        rate = N / (done - t)
        print(
            f"rows per metric: {rate:9.0f}/s (capture+journal {1e6 * (captured - t) / N:.2f} µs, "
            f"insert {1e6 * (done - captured) / N:.2f} µs)   floor {floor:9.0f}/s   "
            f"ratio {rate / floor:.2f}"
        )
    os.close(journal)


if __name__ == "__main__":
    main()
