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
    from trackline.store import get_store

    def plain(a: int, b: float, c: str, d: bool, e: int = 5) -> dict:
        return {"sum": a + b + e, "c": c, "d": d}

    tracked = tracked_task(plain)
    i = iter(range(10**9))
    untracked_us = median_us(lambda: plain(next(i), 0.5, "x", True), n)
    tracked(0, 0.5, "x", True)
    get_store().flush()  # the store is open and the journal empty before timing starts
    tracked_us = median_us(lambda: tracked(next(i), 0.5, "x", True), n)
    get_store().flush()
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
    # What a call costs in all: the calls, then until the journal delivered every record
    # (the background sender's work included), per call; against one insert+commit per call.
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        tracked(next(i), 0.5, "x", True)
    get_store().flush()
    report(
        "  same, mean per call incl. delivery to SQLite (calls, then flush)",
        (time.perf_counter() - t0) / n * 1e6,
        "us",
        "insert+commit",
        commit_us,
        note=f"CPU {(time.process_time() - c0) / n * 1e6:.0f} us per call (both threads)",
    )


if __name__ == "__main__":
    main()
