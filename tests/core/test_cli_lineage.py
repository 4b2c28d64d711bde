"""CLI over lineage: pipeline runs first-class, paths as refs, folded producers, enum filters,
and a reader that closes the pipe early."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import trackline
from trackline import pipeline_run, tracked_task


def cli(*args: str, code: int = 0):
    from click.testing import CliRunner

    from trackline.cli import cli as group

    out = CliRunner().invoke(group, list(args), catch_exceptions=False)
    assert out.exit_code == code, (out.stdout, out.stderr)
    return out


@pytest.fixture
def two_pipelines(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'cli.db'}")
    raw = tmp_path / "raw.csv"
    raw.write_text("x,y\n1,0\n2,1\n3,0\n")

    @tracked_task(name="featurize")
    def featurize(path: Path) -> pd.DataFrame:
        df = pd.read_csv(path)
        return df.assign(x2=df["x"] ** 2)

    @tracked_task(name="fit")
    def fit(df: pd.DataFrame, alpha: float) -> dict:
        return {"alpha": alpha, "n": len(df)}

    ids = []
    for alpha in (0.1, 0.2):
        with pipeline_run("demo", alpha=alpha) as p:
            fit(featurize(raw), alpha)
        ids.append(p.id)
    raw.write_text("x,y\n1,0\n2,1\n3,0\n4,1\n")
    return {"raw": raw, "pipes": ids}


def test_pipeline_runs_are_first_class(two_pipelines):
    a, b = two_pipelines["pipes"]
    out = cli("pipelines").stdout
    assert '{"alpha": 0.1}' in out  # the config column
    assert "featurize" in cli("show", a[:12]).stdout
    runs = json.loads(cli("runs", "--pipeline-run", a[:12], "--json").stdout)
    assert sorted(r["name"] for r in runs) == ["featurize", "fit"]
    diff = json.loads(cli("diff", a[:12], b[:12], "--json").stdout)
    assert diff["config"] == [{"key": "alpha", "a": 0.1, "b": 0.2}]
    fit = next(t for t in diff["tasks"] if t["name"] == "fit")
    assert {c["key"] for c in fit["diff"]["params"]} == {"alpha"}
    feat = next(t for t in diff["tasks"] if t["name"] == "featurize")
    assert feat["diff"] is not None and feat["diff"]["params"] == []
    text = cli("diff", a[:12], b[:12]).stdout
    assert "== fit#" in text
    g = json.loads(cli("lineage", b[:12], "--json").stdout)
    assert {n["name"] for n in g["nodes"] if n["type"] == "task_run"} == {"featurize", "fit"}


def test_identical_producers_fold_and_json_keeps_every_node(two_pipelines):
    c = trackline.connect()
    frame = c.run(c.runs(name="featurize")[0].id).outputs[0].digest
    text = cli("lineage", frame, "--direction", "both").stdout
    lines = text.splitlines()[1:]
    assert len(lines) == len(set(lines))  # never the same line twice
    assert "featurize ×2 runs, newest" in text
    every = cli("lineage", frame, "--all-producers").stdout
    assert len(set(re.findall(r"featurize#[0-9a-f]{8}", every))) == 2
    g = json.loads(cli("lineage", frame, "--json").stdout)
    assert len([n for n in g["nodes"] if n["name"] == "featurize"]) == 2
    assert g["groups"][0]["name"] == "featurize" and len(g["groups"][0]["runs"]) == 2
    # Asked from inside the first pipeline run, its own producer comes first.
    first = two_pipelines["pipes"][0]
    g = json.loads(cli("lineage", frame, "--pipeline-run", first[:12], "--json").stdout)
    own = c.runs(pipeline_run_id=first, name="featurize")[0].id
    assert g["groups"][0]["runs"][0] == own


def test_paths_as_refs_and_never_recorded_bytes(two_pipelines):
    raw = two_pipelines["raw"]  # edited after the runs: these bytes were never recorded
    out = cli("lineage", str(raw), code=2)
    assert "never recorded" in out.stderr and "last recorded bytes there" in out.stderr
    raw.write_text("x,y\n1,0\n2,1\n3,0\n")  # back to the recorded bytes
    text = cli("lineage", str(raw), "--direction", "downstream").stdout
    assert "featurize" in text
    shown = json.loads(cli("show", str(raw), "--json").stdout)
    assert shown["locations"][0]["uri"] == raw.resolve().as_uri()
    art = json.loads(cli("artifacts", "show", str(raw), "--json").stdout)
    assert len(art["locations"]) == 2  # read by both pipeline runs


def test_unknown_enum_filters_exit_2_listing_the_values(two_pipelines):
    out = cli("runs", "--status", "bogus", code=2)
    assert "success" in out.stderr and "crashed" in out.stderr
    out = cli("artifacts", "--kind", "bogus", code=2)
    assert "dataset" in out.stderr


def test_broken_pipe_exits_quietly(two_pipelines, tmp_path: Path):
    script = (
        "import sys; from trackline.cli.main import main; "
        "sys.argv = ['trackline', 'runs', '--limit', '1000']; main()"
    )
    proc = subprocess.run(
        f'{sys.executable} -c "{script}" | head -c 1',
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "BrokenPipe" not in proc.stderr and "error" not in proc.stderr
