"""``trackline export openlineage``: the recorded history through the client's file transport,
and the same events ingested back give the same trackline ids (round trip)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from trackline.cli.main import cli
from trackline.model.runs import RunQuery
from trackline.openlineage.ingest import ingest_event
from trackline.store.sql.store import SqlStore

from .validate import validate_event


def _export(recorded, tmp_path, monkeypatch, *args):
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "events.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(out))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    result = CliRunner().invoke(
        cli, ["--store", recorded["url"], "export", "openlineage", *args, "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines() if out.exists() else []
    return json.loads(result.stdout), [json.loads(x) for x in lines if x]


def test_export_all_then_one_run(recorded, tmp_path, monkeypatch):
    counts, events = _export(recorded, tmp_path, monkeypatch)
    assert counts["runs"] == 4 and counts["events"] == 8 and not counts["errors"]
    for e in events:
        validate_event(e)
    train = recorded["store"].list_runs(RunQuery(name="train"))[0]
    counts, events = _export(recorded, tmp_path / "one", monkeypatch, "--run", train.id[:10])
    assert counts["runs"] == 1
    assert {e["run"]["facets"]["trackline_run"]["id"] for e in events} == {train.id}


def test_since_in_the_future_exports_nothing(recorded, tmp_path, monkeypatch):
    counts, events = _export(recorded, tmp_path, monkeypatch, "--since", "2999-01-01")
    assert counts["runs"] == 0 and events == []


def test_trackline_events_ingested_elsewhere_keep_trackline_ids(recorded, tmp_path, monkeypatch):
    _, events = _export(recorded, tmp_path, monkeypatch)
    other = SqlStore(f"sqlite:///{tmp_path / 'other.db'}")
    for e in reversed(events):  # any order
        ingest_event(other, json.dumps(e).encode())
    src = recorded["store"]
    for run in src.list_runs(RunQuery()):
        copy = other.get_run(run.id)
        assert (copy.name, copy.pipeline, copy.status) == (run.name, run.pipeline, run.status)
        assert copy.pipeline_run_id == run.pipeline_run_id
        original = src.get_run(run.id)
        assert {r.digest for r in copy.outputs} == {r.digest for r in original.outputs}
        assert {m.key for m in copy.metrics} == {m.key for m in original.metrics}
    assert other.get_pipeline_run(recorded["pipeline_run"]).status == "failed"
