"""`models history`: every alias move with the decision that allowed it, and what an alias held
at a given time (mlflow#2169: "what was in production, when")."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

import trackline
from trackline.errors import PromotionRefused
from trackline.registry import model_history


def _evaluate(ref: str, accuracy: float) -> None:
    trackline.log_evaluation(
        ref,
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": accuracy, "f1": 0.9},
    )


def test_history_lists_moves_refusals_and_what_held_the_alias(train, policy, invoke, use_store):
    for seed in (1, 2, 3):
        train(seed)
    _evaluate("churn/1", 0.9)
    _evaluate("churn/2", 0.5)
    _evaluate("churn/3", 0.95)
    first = trackline.promote("churn", 1, alias="production", policy=policy)
    trackline.promote("churn", 1, alias="staging", policy=policy)
    time.sleep(0.01)  # distinct timestamps: `--at` between the moves must see version 1
    between = datetime.now(UTC)
    time.sleep(0.01)
    with pytest.raises(PromotionRefused):
        trackline.promote("churn", 2, alias="production", policy=policy)
    third = trackline.promote("churn", 3, alias="production", policy=policy, reason="better")

    h = model_history("churn", alias="production")
    assert [(e.action, e.version, e.previous) for e in h.events] == [
        ("alias.moved", 1, None),
        ("promotion.refused", 2, None),
        ("alias.moved", 3, 1),
    ]
    moved, refused, last = h.events
    assert moved.decision_id == first.decision_id and moved.verdict == "pass"
    assert moved.policy_name == "churn-production"
    assert refused.verdict == "fail" and refused.failed_rules == [0] and "failed" in refused.reason
    assert last.reason == "better" and last.decision_id == third.decision_id
    assert h.held == {"production": 3}

    then = model_history("churn", at=between)
    assert then.held == {"production": 1, "staging": 1}
    assert all(e.at <= between for e in then.events) and len(then.events) == 2

    res = invoke("models", "history", "churn", "--alias", "production", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [e["version"] for e in out["events"]] == [1, 2, 3]
    res = invoke("models", "history", "churn", "--alias", "production", "--at", between.isoformat())
    assert res.exit_code == 0, res.output
    assert "churn@production at" in res.output and "churn/1" in res.output.splitlines()[-1]
    res = invoke("models", "history", "churn")
    assert "REFUSED" in res.output and "moved" in res.output


def test_history_of_an_unknown_model_is_not_found(invoke, use_store):
    res = invoke("models", "history", "nope")
    assert res.exit_code != 0 and "no model named 'nope'" in res.output


def test_lineage_of_a_model_version_by_its_reference(train, invoke, use_store):
    """``trackline lineage churn/1`` (or ``churn@alias``) is the lineage of that version's bytes."""
    version = train(7)
    res = invoke("lineage", version.ref, "--json")
    assert res.exit_code == 0, res.output
    graph = json.loads(res.output)
    names = {n["name"] for n in graph["nodes"] if n["type"] == "task_run"}
    assert names == {"train"}
    assert version.digest in {n["id"] for n in graph["nodes"]}
    assert invoke("lineage", "churn@nowhere").exit_code == 2
    assert invoke("lineage", "nomodel/1").exit_code == 2
