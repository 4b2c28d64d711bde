"""The journal in front of a direct store (issue 18): a tracked call returns after a local append,
a background sender delivers batches, and nothing that returned is lost or stored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

import trackline
from trackline import tracked_task
from trackline.config import settings
from trackline.store import get_store
from trackline.store.quarantine import list_quarantined
from trackline.store.sql.store import SqlStore

CALLS = """
import json, os, signal, sys, time
from trackline import pipeline_run, tracked_task
from trackline.store import get_store

# Killed before its sender delivered anything (on a busy machine it may deliver some first).
get_store().journal._deliver = lambda records, full: time.sleep(3600)

@tracked_task
def step(i: int) -> int:
    return i * i

with pipeline_run("journal-kill") as pipe:
    out = [step(i) for i in range(int(sys.argv[1]))]
print(json.dumps({"pipeline_run_id": pipe.id}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # after every call returned, before any exit flush
"""


def _count(url: str, sql: str, **params) -> int:
    store = SqlStore(url)
    try:
        with store.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()
    finally:
        store.close()


def test_reads_in_the_process_see_its_calls(trackline_env):
    @tracked_task(name="add")
    def add(a: int, b: int = 2) -> int:
        return a + b

    for i in range(30):
        add(i)
    client = trackline.connect()
    runs = [client.run(r.id) for r in client.runs(name="add", limit=100)]
    assert len(runs) == 30
    assert {r.params["a"] for r in runs} == set(range(30))
    assert all(r.params["b"] == 2 for r in runs)


def test_killed_process_loses_nothing_and_the_next_reader_delivers_once(trackline_env):
    url = settings().store_url
    done = subprocess.run(
        [sys.executable, "-c", CALLS, "40"],
        env={**os.environ, "TRACKLINE_HOME": str(trackline_env)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    pipe = json.loads(done.stdout)["pipeline_run_id"]
    journal = settings().spool_path / "journal"
    assert list(journal.glob("*.jsonl")), "the killed process left its segment"
    assert _count(url, "SELECT count(*) FROM task_runs WHERE pipeline_run_id = :p", p=pipe) == 0

    runs = trackline.connect().runs(pipeline_run_id=pipe, limit=1000)  # a read recovers it
    assert len(runs) == 40
    # The function's code facts were written once per segment; every run has them back.
    codes = [trackline.connect().run(r.id).code for r in runs[::13]]
    assert all(c == codes[0] for c in codes) and codes[0].qualname == "step"
    assert _count(url, "SELECT count(*) FROM task_runs WHERE pipeline_run_id = :p", p=pipe) == 40
    assert _count(url, "SELECT count(DISTINCT id) FROM task_runs") == _count(
        url, "SELECT count(*) FROM task_runs"
    )
    assert not list(journal.glob("*.jsonl"))
    # Delivering the same records again (a segment deleted too late) changes nothing.
    get_store().replay_spool(wait=True)
    assert _count(url, "SELECT count(*) FROM task_runs WHERE pipeline_run_id = :p", p=pipe) == 40


def test_a_torn_line_is_quarantined_and_the_rest_delivered(trackline_env):
    @tracked_task(name="one")
    def one(i: int) -> int:
        return i

    one(1)
    get_store().flush()
    run = trackline.connect().runs(name="one")[0]
    good = run.model_copy(update={"id": "f" * 32, "params": {"i": 2}})
    journal = settings().spool_path / "journal"
    journal.mkdir(parents=True, exist_ok=True)
    dead = _dead_pid()
    segment = journal / f"{dead}-deadbeef-000001.jsonl"
    line = json.dumps(
        {
            "kind": "task_run",
            "env": None,
            "record": json.loads(good.model_dump_json(exclude={"environment"})),
            "artifacts": [],
        }
    )
    segment.write_text(line + "\n" + '{"kind": "task_run", "rec')  # killed mid-line (disk full)

    assert trackline.connect().run("f" * 32).params == {"i": 2}
    reasons = [q.reason for q in list_quarantined(settings().spool_path)]
    assert any("unreadable journal line" in r for r in reasons), reasons
    assert not segment.exists()


def test_journal_off_writes_in_the_call(trackline_env, monkeypatch):
    monkeypatch.setenv("TRACKLINE_JOURNAL", "0")

    @tracked_task(name="sync_step")
    def sync_step(i: int) -> int:
        return i

    sync_step(7)
    # Read by a separate store object, with no flush of this process's journal.
    url = settings().store_url
    assert _count(url, "SELECT count(*) FROM task_runs WHERE name = 'sync_step'") == 1


def test_forked_child_delivers_its_own_calls(trackline_env):
    @tracked_task(name="forked")
    def forked(i: int) -> int:
        return i

    forked(0)  # the parent's journal thread is running when the child is forked
    pid = os.fork()
    if pid == 0:  # the child: calls, then a normal exit (the exit flush delivers)
        try:
            for i in range(1, 11):
                forked(i)
        finally:
            os._exit(0) if get_store().flush(30) else os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client = trackline.connect()
    assert sorted(client.run(r.id).params["i"] for r in client.runs(name="forked")) == list(
        range(11)
    )


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_delivered_segments_are_deleted(trackline_env):
    @tracked_task(name="named")
    def named(i: int) -> int:
        return i

    for i in range(250):  # more than one batch
        named(i)
    store = get_store()
    assert store.flush()
    folder: Path = store.journal.segment.folder
    assert folder == settings().spool_path / "journal"
    assert not list(folder.glob("*.jsonl"))
    assert len(trackline.connect().runs(name="named", limit=1000)) == 250


LIVE = """
import sys, time
from trackline import tracked_task
from trackline.store import get_store

journal = get_store().journal
deliver = journal._deliver
journal._deliver = lambda records, full: (time.sleep(0.3), deliver(records, full))  # slow store
step = tracked_task(name="live-step")(lambda i: i)
for i in range(25):
    step(i)
print("returned", flush=True)
time.sleep(30)  # alive, its sender still delivering, when the parent reads
"""


def test_a_read_waits_for_what_live_processes_appended_before_it(trackline_env, monkeypatch):
    from trackline.store import failsafe

    # The wait itself is under test, not its 1 s cap: on a loaded CI machine the child's slow
    # deliveries (and its first connection and migration check) can take longer than that.
    monkeypatch.setattr(failsafe, "LIVE_WAIT_S", 20.0)
    child = subprocess.Popen(
        [sys.executable, "-c", LIVE],
        env={**os.environ, "TRACKLINE_HOME": str(trackline_env)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "returned"
        assert len(trackline.connect().runs(name="live-step", limit=100)) == 25
    finally:
        child.kill()
        child.wait()


def test_a_journal_that_cannot_be_written_falls_back_to_writing_in_the_call(trackline_env, caplog):
    journal = settings().spool_path / "journal"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("a file where the journal folder should be")  # mkdir fails: ENOTDIR

    @tracked_task(name="no-journal")
    def step(i: int) -> int:
        return i

    assert [step(i) for i in range(3)] == [0, 1, 2]
    # Stored in the call: a separate reader sees them without any flush.
    url = settings().store_url
    assert _count(url, "SELECT count(*) FROM task_runs WHERE name = 'no-journal'") == 3
    assert caplog.text.count("cannot append to the journal") == 1


def test_a_write_torn_by_a_full_disk_does_not_spoil_the_next_line(tmp_path, monkeypatch):
    from trackline.model.runs import TaskRun
    from trackline.store import segment as seg
    from trackline.store.spool import Spool

    s = seg.Segment(tmp_path / "journal", fsync=False)
    runs = [TaskRun(id=f"{i:032x}", name="torn", status="success") for i in range(3)]
    s.append(runs[0])
    real_write = seg.write_all

    def half_then_full(fd, data):  # half the line reaches the file, then the disk is full
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(seg, "write_all", half_then_full)
    try:
        s.append(runs[1])
    except OSError:
        pass
    monkeypatch.setattr(seg, "write_all", real_write)
    s.append(runs[2])
    path = s.rotate()
    dead = path.with_name(f"{_dead_pid()}-deadbeef-000001.jsonl")
    path.rename(dead)
    spool = Spool(tmp_path / "spool")
    assert seg.recover(tmp_path / "journal", spool, None) == 2
    assert sorted(p.name.split("-")[2] for p in spool.pending()) == [runs[0].id, runs[2].id]
    reasons = [q.reason for q in list_quarantined(spool.path)]
    assert len(reasons) == 1 and "unreadable journal line" in reasons[0]


def test_code_facts_are_written_once_per_segment_and_restored_on_every_record(tmp_path):
    from trackline.model.runs import CodeRef, TaskRun
    from trackline.store import segment as seg
    from trackline.store.spool import Spool, _load

    fit = CodeRef(module="m", qualname="fit", source="def fit():\n    return 1\n")
    clean = CodeRef(module="m", qualname="clean", source="def clean(): ...")
    s = seg.Segment(tmp_path / "journal", fsync=False)
    codes = [fit, fit, clean, None, fit]
    runs = [
        TaskRun(id=f"{i:032x}", name="r", status="success", code=c) for i, c in enumerate(codes)
    ]
    real_write = seg.write_all
    for i, run in enumerate(runs):
        if i == 2:  # a full disk while the new code line goes out: it is written again

            def full(fd, data):
                real_write(fd, bytes(data[:10]))
                raise OSError(28, "No space left on device")

            seg.write_all = full
            try:
                s.append(run)
            except OSError:
                pass
            finally:
                seg.write_all = real_write
        s.append(run)
    path = s.rotate()
    kinds = []
    for line in path.read_bytes().split(b"\n"):
        try:
            kinds.append(json.loads(line)["kind"])
        except ValueError:
            kinds.append("torn" if line else "")
    assert kinds.count("code") == 2 and kinds.count("torn") == 1  # clean's first try was torn
    dead = path.with_name(f"{_dead_pid()}-deadbeef-000001.jsonl")
    path.rename(dead)
    spool = Spool(tmp_path / "spool")
    assert seg.recover(tmp_path / "journal", spool, None) == len(runs)
    back = {r.id: r for r in map(_load, spool.pending())}
    assert [back[r.id].code for r in runs] == codes
