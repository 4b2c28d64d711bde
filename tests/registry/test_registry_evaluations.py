"""Evaluations: datasets by name, path, DataFrame or digest; only finite numeric metrics."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import trackline
from trackline.errors import InvalidInput, NotFound


def test_dataset_by_path_name_frame_and_digest(train, workdir, use_store):
    train(1)
    by_path = trackline.log_evaluation(
        "churn/1", dataset="holdout.csv", dataset_name="holdout", metrics={"accuracy": 0.9}
    )
    assert by_path.dataset_name == "holdout" and by_path.model_version == 1
    by_name = trackline.log_evaluation("churn/1", dataset="holdout", metrics={"accuracy": 0.91})
    assert by_name.dataset_digest == by_path.dataset_digest
    by_digest = trackline.log_evaluation(
        "churn/1", dataset=by_path.dataset_digest[:20], metrics={"auc": 1}
    )
    assert by_digest.dataset_digest == by_path.dataset_digest
    frame = pd.DataFrame({"x": [1, 2], "y": [0, 1]})
    by_frame = trackline.log_evaluation(
        "churn@latest",
        dataset=frame,
        dataset_name="recent",
        metrics={"accuracy": 0.8},
        slices={"eu": {"accuracy": 0.7}},
    )
    assert by_frame.slices == {"eu": {"accuracy": 0.7}}
    assert trackline.connect().artifact("recent").digest == by_frame.dataset_digest
    newest_first = [e.id for e in trackline.evaluations("churn/1")]
    assert newest_first[0] == by_frame.id and len(newest_first) == 4


def test_evaluation_inside_a_run_links_it(train, workdir, use_store):
    mv = train(1)
    with trackline.task_run("evaluate") as rec:
        ev = trackline.log_evaluation(
            "churn/1", dataset=workdir / "holdout.csv", metrics={"f1": 0.5}
        )
    assert ev.run_id == rec.id
    run = trackline.connect().run(rec.id)
    assert {mv.digest, ev.dataset_digest} <= {i.digest for i in run.inputs}


BAD_METRICS = [
    ({"accuracy": float("nan")}, "must be finite"),
    ({"accuracy": math.inf}, "must be finite"),
    ({"accuracy": "0.9"}, "must be numbers, not str"),
    ({"accuracy": True}, "must be numbers, not bool"),
    ({"accuracy": None}, "must be numbers, not NoneType"),
    ({}, "non-empty mapping"),
]


def test_bad_metrics_are_rejected_and_nothing_is_written(train, use_store):
    train(1)
    for bad, message in BAD_METRICS:
        with pytest.raises(InvalidInput, match=message):
            trackline.log_evaluation("churn/1", dataset="holdout.csv", metrics=bad)
    with pytest.raises(InvalidInput, match=r"slices\['eu'\]\['acc'\].*finite"):
        trackline.log_evaluation(
            "churn/1",
            dataset="holdout.csv",
            metrics={"acc": 1.0},
            slices={"eu": {"acc": float("-inf")}},
        )
    assert trackline.evaluations("churn/1") == []


def test_unknown_dataset_name_says_how_to_record_it(train, use_store):
    train(1)
    with pytest.raises(NotFound, match="log_artifact"):
        trackline.log_evaluation("churn/1", dataset="never-logged", metrics={"a": 1})


def test_cli_evaluate(train, invoke, workdir, use_store):
    train(1)
    (workdir / "m.json").write_text(
        '{"metrics": {"accuracy": 0.93}, "slices": {"us": {"accuracy": 0.9}}}'
    )
    res = invoke(
        "models",
        "evaluate",
        "churn",
        "1",
        "--dataset",
        "holdout.csv",
        "--metrics-file",
        "m.json",
        "--metric",
        "f1=0.8",
        "--json",
    )
    assert res.exit_code == 0, res.output
    ev = trackline.evaluations("churn/1")[0]
    assert ev.metrics == {"accuracy": 0.93, "f1": 0.8} and ev.dataset_name == "holdout"
    res = invoke(
        "models", "evaluate", "churn", "1", "--dataset", "holdout.csv", "--metric", "f1=high"
    )
    assert res.exit_code == 2 and "must be a number" in res.output
