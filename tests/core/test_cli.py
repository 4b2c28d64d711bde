"""The CLI contract other tools rely on: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import trackline
from trackline import log_metric, pipeline_run, tracked_task


def cli(*args: str, ok: bool = True):
    """The real CLI, in-process (a subprocess per call would dominate the suite's time)."""
    from click.testing import CliRunner

    from trackline.cli import cli as group

    out = CliRunner().invoke(group, list(args), catch_exceptions=False)
    if ok:
        assert out.exit_code == 0, out.stderr
    return out


def cli_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trackline", *args], capture_output=True, text=True
    )


def cli_json(*args: str):
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture
def pipeline(tmp_path: Path, use_store):
    """A three-step pipeline (files → DataFrame → model) recorded into a fresh store."""
    raw = tmp_path / "raw.csv"
    raw.write_text("x,y\n1,2\n3,4\n5,6\n")

    @tracked_task
    def load(path: Path) -> pd.DataFrame:
        return pd.read_csv(path)

    @tracked_task
    def fit(df: pd.DataFrame, alpha: float = 0.5) -> dict:
        log_metric("loss", 0.25, step=1)
        log_metric("loss", 0.125, step=2)
        return {"coef": float(df.y.sum() * alpha)}

    @tracked_task
    def broken(model: dict):
        raise RuntimeError("no deploy target")

    with pipeline_run("cli-demo"):
        model = fit(load(raw))
        with pytest.raises(RuntimeError):
            broken(model)
    return {r.name.rsplit(".", 1)[-1]: r for r in trackline.connect().runs()}


def test_runs_json_contract(pipeline):
    rows = cli_json("runs")
    assert len(rows) == 3
    for row in rows:
        assert {
            "id",
            "name",
            "pipeline",
            "pipeline_run_id",
            "status",
            "started_at",
            "duration_s",
        } <= set(row)
        assert row["pipeline"] == "cli-demo"
    assert [r["status"] for r in cli_json("runs", "--status", "failed")] == ["failed"]
    assert len(cli_json("runs", "--limit", "1")) == 1
    assert cli_json("runs", "--pipeline", "other") == []
    human = cli("runs").stdout
    assert "STATUS" in human and "failed" in human


def test_show_json_contract(pipeline):
    fit = pipeline["fit"]
    data = cli_json("show", fit.id[:10])
    for key in (
        "id",
        "name",
        "pipeline",
        "pipeline_run_id",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "params",
        "inputs",
        "outputs",
        "metrics",
        "resources",
        "environment",
        "code_digest",
        "external_ids",
        "error",
    ):
        assert key in data, key
    assert data["id"] == fit.id and data["params"] == {"alpha": 0.5}
    assert data["error"] is None and data["status"] == "success"
    assert {"name", "digest", "kind", "uri"} <= set(data["inputs"][0])
    assert data["inputs"][0]["kind"] == "dataset"
    assert [
        (m["key"], m["value"], m["step"]) for m in sorted(data["metrics"], key=lambda m: m["step"])
    ] == [("loss", 0.25, 1), ("loss", 0.125, 2)]
    assert {"key", "value", "step", "timestamp"} <= set(data["metrics"][0])
    assert {"cpu_user_s", "cpu_system_s", "peak_rss_bytes"} <= set(data["resources"])
    assert {"python", "platform", "packages_digest", "git_commit"} <= set(data["environment"])
    assert data["started_at"].endswith("Z") or "+00:00" in data["started_at"]
    broken = cli_json("show", pipeline["broken"].id)
    assert (
        broken["error"]["type"] == "RuntimeError"
        and broken["error"]["message"] == "no deploy target"
    )


def test_lineage_json_contract_and_drawings(pipeline):
    broken = pipeline["broken"]
    g = cli_json("lineage", broken.id, "--direction", "upstream")
    ids = {n["id"]: n for n in g["nodes"]}
    assert {n["type"] for n in g["nodes"]} == {"task_run", "artifact"}
    runs = {n["name"].rsplit(".", 1)[-1] for n in g["nodes"] if n["type"] == "task_run"}
    assert runs == {"load", "fit", "broken"}
    for e in g["edges"]:
        assert e["type"] in ("input", "output")
        src, dst = ids[e["source"]], ids[e["target"]]
        if e["type"] == "input":
            assert (src["type"], dst["type"]) == ("artifact", "task_run")
        else:
            assert (src["type"], dst["type"]) == ("task_run", "artifact")
    artifact = next(n for n in g["nodes"] if n["type"] == "artifact")
    assert len(artifact["id"]) == 64  # full digest
    down = cli_json("lineage", artifact["id"][:12], "--direction", "downstream")
    assert down["nodes"]
    shallow = cli_json("lineage", broken.id, "--depth", "1")
    assert {n["type"] for n in shallow["nodes"]} == {"task_run", "artifact"} and len(
        shallow["edges"]
    ) == 1
    assert cli("lineage", broken.id, "--format", "mermaid").stdout.startswith("flowchart LR")
    assert cli("lineage", broken.id, "--format", "dot").stdout.startswith("digraph lineage")


def test_diff(pipeline, use_store):
    @tracked_task(name="tune")
    def tune(alpha: float, data: list):
        log_metric("score", alpha * 2)

    tune(0.1, list(range(400)))
    tune(0.2, list(range(401)))
    a, b = sorted(trackline.connect().runs(name="tune"), key=lambda r: r.started_at)
    d = cli_json("diff", a.id, b.id)
    assert d["params"] == [{"key": "alpha", "a": 0.1, "b": 0.2}]
    assert [c["key"] for c in d["inputs"]] == ["data"]
    assert d["metrics"] == [{"key": "score", "a": 0.2, "b": 0.4}]
    assert d["code"] is None and d["identical"] is False
    assert "params" in cli("diff", a.id, b.id).stdout


def test_artifacts_pipelines_and_db(pipeline, use_store):
    arts = cli_json("artifacts", "--kind", "dataset")
    assert arts and all(a["kind"] == "dataset" for a in arts)
    assert {"digest", "kind", "uri", "rows", "columns"} <= set(arts[0])
    pipes = cli_json("pipelines")
    # the failing step's exception was handled inside the block, so the pipeline run succeeded
    assert [p["pipeline"] for p in pipes] == ["cli-demo"] and pipes[0]["status"] == "success"
    cur = cli_json("db", "current")
    assert cur["up_to_date"] is True
    assert cli_json("db", "upgrade")["to"] == cur["head"]


@pytest.mark.parametrize(
    "args",
    [
        ("show", "does-not-exist"),
        ("lineage", "ffffffffffff"),
        ("diff", "nope", "nada"),
        ("runs", "--limit", "0"),
        ("lineage", "x", "--direction", "sideways"),
        ("--store", "mysql://x/y", "runs"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'cli.db'}")
    trackline.connect().runs()
    out = cli_process(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: ")


def test_runs_as_dataframe(pipeline):
    df = trackline.connect().runs_df()
    assert list(df.columns[:3]) == ["id", "name", "pipeline"] and len(df) == 3
