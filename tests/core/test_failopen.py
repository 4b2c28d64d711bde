"""Tracking never breaks the pipeline: failed writes spool, replay exactly once, strict raises."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import trackline
from trackline import tracked_task
from trackline.config import settings
from trackline.errors import StoreUnavailable
from trackline.store import get_store
from trackline.store.spool import Spool

DOWN_PG = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


def _spool() -> Spool:
    """The spool, once this process's journal delivered or spooled what the calls appended."""
    get_store().flush()
    return Spool(settings().spool_path)


@tracked_task
def double(x: int) -> int:
    return 2 * x


def _records(client) -> list:
    return [r for r in client.runs(limit=1000) if r.name.endswith("double")]


@pytest.mark.parametrize("bad_url", [DOWN_PG, "nosuchscheme://x", "sqlite:////proc/forbidden/x.db"])
def test_unusable_store_spools_and_the_task_still_returns(bad_url, monkeypatch, caplog):
    monkeypatch.setenv("TRACKLINE_STORE", bad_url)
    assert double(21) == 42
    assert len(_spool().pending()) == 1
    assert "spooled" in caplog.text


def test_replay_delivers_exactly_once(tmp_path, monkeypatch):
    good = f"sqlite:///{tmp_path / 'good.db'}"
    # the spool belongs to a store URL, so point the outage at the URL that comes back later
    blocker = tmp_path / "good.db"
    blocker.mkdir()  # a directory where the database file should be: every write fails
    monkeypatch.setenv("TRACKLINE_STORE", good)
    for i in range(3):
        assert double(i) == 2 * i
    assert len(_spool().pending()) == 3
    blocker.rmdir()
    result = trackline.connect().sync()
    assert (result.delivered, result.remaining) == (3, 0)
    again = trackline.connect().sync()
    assert again.delivered == 0
    assert sorted(r.id for r in _records(trackline.connect())).__len__() == 3


def test_next_successful_write_replays_the_spool(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    db.mkdir()
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{db}")
    double(1)
    db.rmdir()
    double(2)  # succeeds, then drains the spool
    assert _spool().pending() == []
    assert len(_records(trackline.connect())) == 2


def test_locked_past_the_busy_timeout(tmp_path, monkeypatch):
    path = tmp_path / "locked.db"
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{path}")
    monkeypatch.setenv("TRACKLINE_BUSY_TIMEOUT", "0.2")
    trackline.connect().runs()  # create the schema
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert double(5) == 10
        assert len(_spool().pending()) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert trackline.connect().sync().delivered == 1
    assert len(_records(trackline.connect())) == 1


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", DOWN_PG)
    monkeypatch.setenv("TRACKLINE_STRICT", "1")
    with pytest.raises(StoreUnavailable, match="could not write"):
        double(1)
    assert _spool().pending() == []


def test_process_killed_mid_spool_write_loses_only_that_write(tmp_path, monkeypatch):
    """A writer SIGKILLed between write and rename leaves a .tmp file that is never replayed."""
    monkeypatch.setenv("TRACKLINE_JOURNAL", "0")  # the spool's own write, in the call (fsync)
    db = tmp_path / "later.db"
    db.mkdir()
    url = f"sqlite:///{db}"
    monkeypatch.setenv("TRACKLINE_STORE", url)
    double(7)  # one complete spooled record
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import os, time
        real_fsync = os.fsync
        def stalled(fd):
            real_fsync(fd)
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = stalled
        from trackline import tracked_task
        @tracked_task
        def victim():
            return 1
        victim()
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    spool_dir = settings().spool_path
    tmp_files = [p for p in spool_dir.iterdir() if p.name.startswith(".tmp-")]
    assert len(tmp_files) == 1 and len(_spool().pending()) == 1
    db.rmdir()
    result = trackline.connect().sync()
    assert (result.delivered, result.remaining, result.bad) == (1, 0, [])
    assert [r.name for r in _records(trackline.connect())] == ["double"]


def test_corrupt_spool_file_is_kept_aside(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'ok.db'}")
    spool_dir = settings().spool_path
    spool_dir.mkdir(parents=True)
    (spool_dir / "00000000000000000001-task_run-x.json").write_text("{not json")
    result = trackline.connect().sync()
    assert result.delivered == 0 and len(result.bad) == 1
    assert (spool_dir / "quarantine" / "00000000000000000001-task_run-x.json").exists()


def test_cli_sync(tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    db.mkdir()
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{db}")
    double(3)
    out = subprocess.run(
        [sys.executable, "-m", "trackline", "sync", "--json"], capture_output=True, text=True
    )
    assert out.returncode == 1 and "still unavailable" in out.stderr
    assert json.loads(out.stdout)["remaining"] == 1
    db.rmdir()
    out = subprocess.run(
        [sys.executable, "-m", "trackline", "sync", "--json"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["delivered"] == 1
