"""OpenLineage emission: what it adds to a tracked call (the outbox entry; sending is off the
hot path), and how fast finished runs become events (built from the store, sent)."""

from __future__ import annotations

import os
import shutil
import time

from _common import median_us, report, workdir


def main(n: int = 2000) -> None:
    home = workdir() / "openlineage-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    os.environ.pop("TRACKLINE_STORE", None)
    os.environ["OPENLINEAGE__TRANSPORT__TYPE"] = "file"
    os.environ["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"] = str(home / "events.jsonl")
    os.environ["OPENLINEAGE__TRANSPORT__APPEND"] = "true"
    from trackline import tracked_task
    from trackline.openlineage import emitter

    def plain(a: int, b: float, c: str, d: bool, e: int = 5) -> dict:
        return {"sum": a + b + e, "c": c, "d": d}

    tracked = tracked_task(plain)
    i = iter(range(10**9))
    os.environ.pop("TRACKLINE_OPENLINEAGE", None)
    off_us = median_us(lambda: tracked(next(i), 0.5, "x", True), n)
    os.environ["TRACKLINE_OPENLINEAGE"] = "1"
    on_us = median_us(lambda: tracked(next(i), 0.5, "x", True), n)
    report(
        "tracked_task call with OpenLineage emission on (median)",
        on_us,
        "us",
        "same call, emission off",
        off_us,
    )
    t0 = time.perf_counter()
    emitter.flush(600)
    drained = time.perf_counter() - t0
    events = sum(1 for _ in open(home / "events.jsonl"))
    report(
        "background send: events written after the calls (file transport)",
        events,
        "events",
        note=f"queue drained {drained:.1f} s after the last call",
    )
    os.environ.pop("TRACKLINE_OPENLINEAGE", None)
    # Building one run's events from the store against reading the run (the store read floor).
    from trackline.model.runs import RunQuery
    from trackline.store import get_store

    store = get_store()
    run_id = store.list_runs(RunQuery(limit=1))[0].id
    read_us = median_us(lambda: store.get_run(run_id), 200)
    build_us = median_us(lambda: emitter.events_for(store, "task_run", run_id, "bench"), 200)
    report("events of one task run, built from the store", build_us, "us", "get_run", read_us)


if __name__ == "__main__":
    main()
