"""Many writer processes on one machine (LocalExecutor, process pools): nothing lost or doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import trackline

PROCS, CALLS = 8, 200

WORKER = textwrap.dedent("""
    import sys
    from trackline import tracked_task, log_metric

    @tracked_task
    def step(proc: int, i: int, payload: list):
        log_metric("i", i)
        return {"proc": proc, "i": i, "payload": payload}

    proc = int(sys.argv[1])
    for i in range(int(sys.argv[2])):
        step(proc, i, [proc, i] * 20)
""")


def test_concurrent_writer_processes(use_store, tmp_path):
    trackline.connect().runs()  # create the schema once, like `trackline db upgrade` would
    env = {**os.environ, "TRACKLINE_STRICT": "1"}  # any lost write must fail loudly here
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(p), str(CALLS)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(PROCS)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * PROCS, errors
    runs = trackline.connect(use_store).runs(limit=10_000)
    assert len(runs) == PROCS * CALLS
    assert len({r.id for r in runs}) == PROCS * CALLS
    client = trackline.connect(use_store)
    seen = set()
    for r in runs[:: PROCS * CALLS // 50]:  # spot-check details of 50 runs
        d = client.run(r.id)
        seen.add((d.params["proc"], d.params["i"]))
        assert [m.value for m in d.metrics] == [d.params["i"]]
        assert len(d.inputs) == 1 and len(d.outputs) == 1
    assert len(seen) == 50
    assert not list(trackline.config.settings().spool_path.glob("*.json"))


def test_processes_opening_a_fresh_store_together_build_it_once(store_url, tmp_path):
    # An Airflow scheduler and its task processes start together on a new database: each one
    # migrates on first use, and none may trip over another's CREATE TABLE. The processes import
    # first and then wait for one signal, so their migrations overlap.
    opener = textwrap.dedent("""
        import pathlib, sys, time, trackline
        from trackline.model.runs import TaskRun
        url, run_id, ready, go = sys.argv[1:]
        pathlib.Path(ready).touch()
        while not pathlib.Path(go).exists():
            time.sleep(0.005)
        store = trackline.connect(url).store
        store.write_task_run(TaskRun(id=run_id, name="opened", status="success"))
    """)
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(PROCS)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", opener, store_url, f"open-{i}", str(ready[i]), str(go)],
            env={**os.environ, "TRACKLINE_STRICT": "1"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCS)
    ]
    while not all(r.exists() for r in ready) and all(p.poll() is None for p in procs):
        time.sleep(0.01)
    go.touch()
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * PROCS, errors
    runs = trackline.connect(store_url).runs(limit=100)
    assert sorted(r.id for r in runs) == sorted(f"open-{i}" for i in range(PROCS))
