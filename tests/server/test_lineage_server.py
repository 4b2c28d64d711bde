"""Lineage through a real team server on PostgreSQL: registering inside and outside a task,
locations, folder manifests and data diffs over HTTP."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import trackline
from trackline import pipeline_run, register_model, tracked_task
from trackline.capture.artifacts import describe_path


@pytest.fixture
def remote(server, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", server.url)
    monkeypatch.setenv("TRACKLINE_TOKEN", server.tokens["writer"])
    monkeypatch.setenv("TRACKLINE_STRICT", "1")  # a failed write must fail the test, not hide
    return trackline.connect()


def _fit(path: Path, seed: int) -> Path:
    joblib.dump(LogisticRegression(C=1.0 + seed).fit([[0], [1], [2]], [0, 1, 1]), path)
    return path


def test_register_inside_a_task_through_the_server(remote, tmp_path: Path):
    @tracked_task(name="srv_train_register")
    def train_register(model_path: Path):
        _fit(model_path, 1)
        return register_model("srv-inside", model_path)

    mv = train_register(tmp_path / "m.joblib")
    run = remote.run(remote.runs(name="srv_train_register")[0].id)
    assert mv.run_id == run.id and mv.producer_rule == "active-run"
    assert run.status == "success"
    assert "model:srv-inside" in {o.name for o in run.outputs}
    assert mv.uri == (tmp_path / "m.joblib").resolve().as_uri()


def test_register_outside_a_task_through_the_server(remote, tmp_path: Path):
    @tracked_task(name="srv_train")
    def train(model_path: Path) -> Path:
        return _fit(model_path, 2)

    with pipeline_run("srv-churn"):
        path = train(tmp_path / "model.joblib")
    mv = register_model("srv-outside", path)
    producer = remote.runs(name="srv_train")[0]
    assert mv.run_id == producer.id and mv.producer_rule == "digest:newest-success-output"
    locs = remote.locations(mv.digest)
    assert [(x.direction, x.run_id) for x in locs] == [
        ("output", producer.id),
        ("registered", None),
    ]


def test_folder_file_lineage_and_data_diff_through_the_server(remote, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        pd.DataFrame({"x": range(5)}).to_csv(data / f"p{i}.csv", index=False)

    @tracked_task(name="srv_load")
    def load(folder: Path) -> pd.DataFrame:
        return pd.concat(pd.read_csv(p) for p in sorted(folder.glob("*.csv")))

    load(data)
    pd.DataFrame({"x": range(7), "z": 1.5}).to_csv(data / "p1.csv", index=False)
    load(data)
    a, b = remote.runs(name="srv_load", order="oldest")[-2:]
    d = remote.diff(a.id, b.id)
    folder = next(x for x in d.data if x.key == "folder")
    assert folder.files_changed == ["p1.csv"]
    out = next(x for x in d.data if x.key == "return")
    assert out.columns_added == ["z"] and out.rows == [10, 12]
    g = remote.lineage(describe_path(data / "p0.csv").digest, "downstream")
    assert {n.id for n in g.nodes if n.type == "task_run"} == {a.id, b.id}
