"""Runs whose flow process dies are not left dangling: they end up ``crashed``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import trackline
from conftest import HERE, cli


def _start(prefect_api: str, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "marker"
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "TRACKLINE_HEARTBEAT_INTERVAL": "0.2",
        "PYTHONPATH": str(HERE),
    }
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "doomed_flow.py"), str(marker)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, marker


def _wait_until_training(proc: subprocess.Popen, marker: Path) -> None:
    """Until the tracked task has written its "running" record (its lease)."""
    client = trackline.connect()
    deadline = time.monotonic() + 300  # a bound for a hung subprocess, not a performance check
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"flow process exited early ({proc.returncode}):\n{proc.stdout.read()}")
        if marker.exists() and client.runs(status="running"):
            return
        time.sleep(0.2)
    proc.kill()
    pytest.fail("the flow never reached its long task")


def _flow_run_state(prefect_api: str, flow_run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state.type.value


def test_sigkilled_flow_is_reaped_as_crashed(prefect_api, tmp_path):
    proc, marker = _start(prefect_api, tmp_path)
    try:
        _wait_until_training(proc, marker)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    # No Prefect hook ran: Prefect itself still believes the flow is running.
    [pipe] = cli("pipelines")
    assert _flow_run_state(prefect_api, pipe["id"]) == "RUNNING"

    runs = cli("runs", "--reap")
    [train] = [r for r in runs if r["name"] == "train_forever"]
    assert train["status"] == "crashed"
    assert train["ended_at"] is not None
    assert train["external_ids"]["flow_run_id"] == pipe["id"]
    [pipe] = cli("pipelines")
    assert (pipe["pipeline"], pipe["status"]) == ("doomed-flow", "crashed")
    assert pipe["ended_at"] is not None


def test_sigtermed_flow_is_closed_as_crashed_by_its_hook(prefect_api, tmp_path):
    proc, marker = _start(prefect_api, tmp_path)
    try:
        _wait_until_training(proc, marker)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    [pipe] = cli("pipelines")
    assert pipe["status"] == "crashed"
    by = {r["name"]: r for r in cli("runs")}
    assert by["train_forever"]["status"] == "crashed"
    # The undecorated task finished before the crash; only the on_crashed hook can have recorded
    # it (from the Prefect API), so this also shows the hook ran rather than the reaper.
    assert by["prepare"]["status"] == "success"
    assert by["train_forever"]["external_ids"]["run_count"] == 1
