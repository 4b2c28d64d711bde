"""Reading what trackline recorded for a DAG run, the way a user would (CLI JSON)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from trackline.model.ids import deterministic_id

BIN = Path(sys.executable).parent


def key(run: dict[str, Any]) -> tuple[str, int, int]:
    ext = run["external_ids"]
    return ext["task_id"], ext["try_number"], ext["map_index"]


def runs_of(cli, dag_id: str) -> list[dict[str, Any]]:
    """The task-instance runs of a DAG (tracked helpers called inside tasks are left out)."""
    found = cli("runs", "--pipeline", dag_id, "--limit", "1000")
    return [r for r in found if "task_id" in r["external_ids"]]


def helper_runs(cli, dag_id: str, name: str) -> list[dict[str, Any]]:
    found = cli("runs", "--pipeline", dag_id, "--name", name, "--limit", "1000")
    return [r for r in found if "task_id" not in r["external_ids"]]


def assert_recorded_once(runs: list[dict[str, Any]]) -> None:
    counts = Counter(key(r) for r in runs)
    twice = {k: n for k, n in counts.items() if n > 1}
    if twice:
        raise AssertionError(f"task instances recorded more than once: {twice}")


def assert_identities(runs: list[dict[str, Any]], dag_id: str, run_id: str) -> None:
    for r in runs:
        task_id, try_number, map_index = key(r)
        assert r["name"] == task_id
        assert r["pipeline"] == dag_id
        assert r["external_ids"]["dag_id"] == dag_id
        assert r["external_ids"]["run_id"] == run_id
        assert r["pipeline_run_id"] == deterministic_id(dag_id, run_id)
        assert r["id"] == deterministic_id(dag_id, task_id, run_id, try_number, map_index)


def by_name(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(runs, key=key):
        out.setdefault(r["name"], []).append(r)
    return out


def lineage_run_names(graph: dict[str, Any]) -> set[str]:
    return {n["name"] for n in graph["nodes"] if n["type"] == "task_run"}


def trackline_subprocess(*args: str) -> Any:
    """The real ``trackline`` executable, as a user runs it (slow to start: use sparingly)."""
    proc = subprocess.run(
        [str(BIN / "trackline"), *args, "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"trackline {' '.join(args)} failed ({proc.returncode}): {proc.stderr}"
        )
    return json.loads(proc.stdout)
