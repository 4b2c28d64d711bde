"""Registry test helpers: a tracked training run that produces a model from recorded data."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

import trackline
from trackline.cli.main import cli

POLICY = """\
name: churn-production
rules:
  - metric: accuracy          # evaluation metric of the candidate
    dataset: holdout          # which evaluation (dataset name or digest)
    min: 0.85
  - metric: f1
    dataset: holdout
    compare_to: production
    max_regression: 0.01
  - require_lineage: true
  - max_evaluation_age: 7d
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.csv").write_text("x,y\n1,0\n2,1\n3,1\n4,0\n")
    (tmp_path / "holdout.csv").write_text("x,y\n5,1\n6,0\n")
    return tmp_path


@pytest.fixture
def train(workdir: Path, use_store: str):
    """``train(seed)`` runs a tracked task that writes and registers ``model-<seed>.pkl``."""

    @trackline.tracked_task(name="train")
    def _train(data: Path, out: Path, seed: int):
        rows = data.read_text().splitlines()
        out.write_bytes(pickle.dumps({"rows": len(rows), "seed": seed}))
        return trackline.register_model("churn", out, framework="pickle")

    def run(seed: int = 0):
        return _train(workdir / "train.csv", workdir / f"model-{seed}.pkl", seed)

    return run


@pytest.fixture
def policy(workdir: Path) -> Path:
    path = workdir / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def invoke():
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run
