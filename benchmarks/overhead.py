"""Per-call overhead of @tracked_task (5 params, small output) against the untracked call."""

from __future__ import annotations

import os
import shutil
import time

from _common import median_us, report, workdir


def _sqlite_commit_us(n: int) -> float:
    """The floor: one row inserted and committed with plain sqlite3 in WAL mode."""
    import sqlite3

    path = workdir() / "floor.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    i = iter(range(10**9))

    def one() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (id, v) VALUES (?, 'x')", (next(i),))
        db.execute("COMMIT")

    return median_us(one, n)


def main(n: int = 2000) -> None:
    home = workdir() / "overhead-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    os.environ.pop("TRACKLINE_STORE", None)
    from trackline import tracked_task

    def plain(a: int, b: float, c: str, d: bool, e: int = 5) -> dict:
        return {"sum": a + b + e, "c": c, "d": d}

    tracked = tracked_task(plain)
    i = iter(range(10**9))
    untracked_us = median_us(lambda: plain(next(i), 0.5, "x", True), n)
    tracked_us = median_us(lambda: tracked(next(i), 0.5, "x", True), n)
    commit_us = _sqlite_commit_us(n)
    report(
        "tracked_task call, 5 params, small output, SQLite (median)",
        tracked_us,
        "us",
        "untracked call",
        untracked_us,
        aim="<= 150 us",
        met=tracked_us <= 150,
    )
    report(
        "  same, against one SQLite WAL insert+commit (plain sqlite3)",
        tracked_us,
        "us",
        "insert+commit",
        commit_us,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(500):
        tracked(next(i), 0.5, "x", True)
    report(
        "tracked_task CPU time per call (mean of 500)",
        (time.process_time() - c0) / 500 * 1e6,
        "us",
        note=f"wall {(time.perf_counter() - t0) / 500 * 1e6:.0f} us",
    )


if __name__ == "__main__":
    main()
