"""The documented example flow runs and answers "where did this model come from?"."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "example_flows"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ml_pipeline_example_lineage(tmp_path):
    example = _load("ml_pipeline")
    scores = example.ml_pipeline(data_dir=str(tmp_path / "data"))
    assert scores["accuracy"] > 0.9

    runs = {r["name"]: r for r in cli("runs")}
    assert set(runs) == {"ingest", "validate", "featurize", "train", "evaluate"}
    assert {r["status"] for r in runs.values()} == {"success"}
    [pipe] = cli("pipelines")
    assert pipe["pipeline"] == "breast-cancer-classifier"
    assert pipe["config"]["data_dir"] == str(tmp_path / "data")

    train = cli("show", runs["train"]["id"])
    [model] = [o for o in train["outputs"] if o["name"] == "return"]
    assert model["kind"] == "model" and model["uri"].endswith("model.joblib")
    assert {m["key"] for m in train["metrics"]} == {"train_accuracy"}

    # From the model file back to the raw CSV, through content digests of real files.
    up = cli("lineage", model["digest"])
    names = {n["name"] for n in up["nodes"]}
    assert {"train", "featurize", "ingest", "raw.csv", "train.parquet"} <= names
    assert {n["name"] for n in up["nodes"] if n["type"] == "task_run"} >= {"validate"}
