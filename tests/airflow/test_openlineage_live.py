"""trackline emitting an Airflow DAG's runs itself (Airflow's OpenLineage provider off): each task
instance gets one START and one end, even when a decorator inside the task and the listener
both describe it, the START leaves before the end, and a backfill re-sends the same events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import runs_of


def test_each_task_instance_starts_once_and_ends_once(airflow_home, tmp_path, monkeypatch, cli):
    out = tmp_path / "events.jsonl"
    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__DISABLED", "true")
    monkeypatch.setenv("TRACKLINE_OPENLINEAGE", "1")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(out))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "run_dag_process.py"), str(airflow_home)]
        + ["tl_worker"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [json.loads(x) for x in out.read_text().splitlines() if x]
    runs: dict[str, list[str]] = {}
    ids: dict[str, str] = {}
    for e in events:
        runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
        ids[e["run"]["runId"]] = e["run"]["facets"]["trackline_run"]["id"]
    assert all(types == ["START", "COMPLETE"] for types in runs.values()), runs
    recorded = {r["id"] for r in runs_of(cli, "tl_worker")}
    assert recorded and recorded <= set(ids.values())
    assert len(set(ids.values())) == len(ids)  # one OpenLineage run per trackline run
    # A backfill afterwards: the very same events (ids, types, times) a consumer already has.
    from openlineage.client import OpenLineageClient

    from trackline.client import connect
    from trackline.openlineage.export import export_history

    copy = tmp_path / "export.jsonl"
    client = OpenLineageClient(
        config={"transport": {"type": "file", "log_file_path": str(copy), "append": True}}
    )
    result = export_history(connect().store, client, namespace="trackline")
    assert not result.errors
    exported = [json.loads(x) for x in copy.read_text().splitlines() if x]

    def keys(evs):
        return sorted((e["run"]["runId"], e["eventType"], e["eventTime"]) for e in evs)

    assert keys(exported) == keys(events)
