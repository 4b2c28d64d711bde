"""A tracked call that returned is stored: killing the process right after loses nothing.

docs/data-model.md, "Durability": pinned down on both backends with a real SIGKILL, no cleanup
handlers run — for the synchronous path (strict mode commits in the call) and for the journal
(the call appends to the journal; the next reader delivers what the killed process left).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from trackline.store.sql.store import SqlStore

CHILD = textwrap.dedent("""
    import os, signal, sys
    import trackline
    from trackline import tracked_task

    @tracked_task
    def step(i: int) -> dict:
        trackline.log_metric("loss", 1.0 / (i + 1), step=i)
        return {"i": i}

    for i in range(int(sys.argv[1])):
        step(i)
    print("returned", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no flush, no finally
""")


def test_returned_calls_survive_sigkill(store_url, tmp_path):
    env = {**os.environ, "TRACKLINE_STORE": store_url, "TRACKLINE_STRICT": "1"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "25"], env=env, capture_output=True, text=True
    )
    assert child.returncode == -signal.SIGKILL
    assert child.stdout.strip() == "returned"
    store = SqlStore(store_url)
    try:
        with store.engine.connect() as conn:
            runs = conn.exec_driver_sql("SELECT count(*) FROM task_runs WHERE name = 'step'")
            assert runs.scalar() == 25
            metrics = conn.exec_driver_sql(  # points logged one by one: series rows
                "SELECT (SELECT count(*) FROM metrics WHERE key = 'loss') + "
                "(SELECT coalesce(sum(n), 0) FROM metric_series WHERE key = 'loss')"
            )
            assert metrics.scalar() == 25
    finally:
        store.close()


def test_returned_calls_survive_sigkill_through_the_journal(store_url):
    import trackline

    env = {**os.environ, "TRACKLINE_STORE": store_url}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "25"], env=env, capture_output=True, text=True
    )
    assert child.returncode == -signal.SIGKILL
    assert child.stdout.strip() == "returned"
    client = trackline.connect(store_url)  # a reader delivers what the dead process left
    try:
        runs = [client.run(r.id) for r in client.runs(limit=100) if r.name.endswith("step")]
        assert len(runs) == 25
        assert sorted(r.metrics[0].step for r in runs) == list(range(25))
    finally:
        client.store.close()
    store = SqlStore(store_url)
    try:
        with store.engine.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM task_runs WHERE name = 'step'")
            assert count.scalar() == 25  # each once
    finally:
        store.close()
