"""OpenLineage from Prefect: a task's START has left while the task still runs (recorded by the
task hooks or by a decorator alike), and the flow run and every task run get exactly one START
and one end, through the openlineage-python client's file transport."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prefect import task
from trackline.openlineage import emitter
from trackline.prefect import tracked_flow, tracked_task

OUT: dict[str, Path] = {}
SEEN: dict[str, list[str]] = {}


def _events() -> list[dict]:
    emitter.flush()  # what the outbox holds by now has gone through the transport
    path = OUT["file"]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _types(job_suffix: str) -> list[str]:
    return [e["eventType"] for e in _events() if e["job"]["name"].endswith(job_suffix)]


@task
def hooked(x: int) -> int:  # undecorated: trackline's task hooks record it
    SEEN["hooked"] = _types(".hooked")
    return x + 1


@task
@tracked_task
def decorated(x: int) -> int:
    SEEN["decorated"] = _types(".decorated")
    return x * 2


@tracked_flow(name="ol-flow")
def ol_flow(x: int = 1) -> int:
    return decorated(hooked(x))


@pytest.fixture
def ol_file(tmp_path, monkeypatch):
    out = tmp_path / "events.jsonl"
    monkeypatch.setenv("TRACKLINE_OPENLINEAGE", "1")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(out))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    OUT["file"] = out
    SEEN.clear()
    yield out
    emitter.flush()


def test_starts_leave_while_tasks_run_and_each_run_ends_once(ol_file):
    assert ol_flow(x=3) == 8
    # Inside each task, its own START was already out and its end was not.
    assert SEEN == {"hooked": ["START"], "decorated": ["START"]}
    events = _events()
    runs: dict[str, list[str]] = {}
    jobs: dict[str, str] = {}
    for e in events:
        runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
        jobs[e["run"]["runId"]] = e["job"]["name"]
    assert sorted(jobs.values()) == ["ol-flow", "ol-flow.decorated", "ol-flow.hooked"]
    assert all(types == ["START", "COMPLETE"] for types in runs.values()), runs
    flow_run = next(r for r, j in jobs.items() if j == "ol-flow")
    for e in events:
        if e["job"]["name"] != "ol-flow":
            assert e["run"]["facets"]["parent"]["run"]["runId"] == flow_run
