"""The outbox's start markers: one announcement per run, the start it was sent with, pruned
when a run never ends."""

from __future__ import annotations

import os
import time

from trackline.openlineage.outbox import Outbox


def test_a_run_is_announced_once_and_keeps_its_start(tmp_path):
    box = Outbox(tmp_path / "box")
    assert box.announced("task_run", "r1") is None
    assert box.mark_started("task_run", "r1", "2026-01-01T00:00:00+00:00")
    assert not box.mark_started("task_run", "r1", "2026-01-02T00:00:00+00:00")
    assert box.announced("task_run", "r1") == "2026-01-01T00:00:00+00:00"
    assert box.announced("pipeline_run", "r1") is None  # kinds are apart
    assert box.pending() == []  # markers are no entries
    box.clear_started("task_run", "r1")
    assert box.announced("task_run", "r1") is None


def test_markers_of_runs_that_never_ended_are_pruned(tmp_path):
    box = Outbox(tmp_path / "box")
    box.mark_started("task_run", "old", "2026-01-01T00:00:00+00:00")
    box.mark_started("task_run", "new", "2026-01-01T00:00:00+00:00")
    marker = box._marker("task_run", "old")
    month_ago = time.time() - 31 * 86400
    os.utime(marker, (month_ago, month_ago))
    box.prune_markers()
    assert box.announced("task_run", "old") is None
    assert box.announced("task_run", "new") is not None
