"""Gate checks: every rule kind passing and failing, empty incumbents, and recorded decisions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import trackline
from trackline.gates import parse_policy
from trackline.model.registry import Evaluation
from trackline.model.runs import utcnow
from trackline.registry.store import registry_store


def gate(ref: str, *rules: dict, name: str = "p"):
    return trackline.check_gate(ref, parse_policy({"name": name, "rules": list(rules)}))


def evaluate(ref: str, dataset: str = "holdout.csv", slices=None, **metrics):
    return trackline.log_evaluation(
        ref, dataset=dataset, dataset_name="holdout", metrics=metrics, slices=slices
    )


def crown(ref: str, alias: str = "production"):
    """Put a version behind an alias through a real (trivially passing) gate."""
    name, version = ref.split("/")
    return trackline.promote(
        name,
        int(version),
        alias=alias,
        policy=parse_policy({"name": "bootstrap", "rules": [{"require_lineage": False}]}),
    )


def test_example_policy_fails_then_passes_via_cli(train, policy, invoke, use_store, monkeypatch):
    monkeypatch.setenv("TRACKLINE_ACTOR", "ci-bot")
    train(1)
    evaluate("churn/1", accuracy=0.80, f1=0.70)
    res = invoke("gate", "check", "churn", "1", "--policy", str(policy), "--json")
    assert res.exit_code == 1, res.output
    failed = json.loads(res.output)
    assert failed["verdict"] == "fail" and failed["actor"] == "ci-bot"
    assert [r["passed"] for r in failed["results"]] == [False, True, True, True]
    assert failed["results"][0]["observed"]["value"] == 0.80
    assert "nothing to compare" in failed["results"][1]["message"]
    ev = evaluate("churn/1", accuracy=0.90, f1=0.70)
    res = invoke("gate", "check", "churn", "1", "--policy", str(policy), "--markdown")
    assert res.exit_code == 0, res.output
    assert "| 1 | accuracy on holdout >= 0.85 | ✅ pass | accuracy = 0.9 |" in res.output
    decisions = registry_store().list_decisions(
        model_digest=trackline.resolve_model("churn/1").digest
    )
    passed = decisions[0]
    assert passed.verdict == "pass" and passed.id != failed["id"]
    assert (
        passed.policy_digest
        == failed["policy_digest"]
        == trackline.gates.load_policy(policy).digest
    )
    assert passed.results[0].evidence == [ev.id]
    assert passed.incumbents == {"production": None}
    assert passed.results[2].evidence == [trackline.resolve_model("churn/1").run_id]
    audit = [e for e in trackline.audit_log() if e.action == "gate.decision"]
    assert [e.data["verdict"] for e in audit] == ["fail", "pass"] and audit[0].actor == "ci-bot"


def test_min_and_max(train, use_store):
    train(1)
    evaluate("churn/1", accuracy=0.9, latency_ms=120)
    assert gate("churn/1", {"metric": "latency_ms", "dataset": "holdout", "max": 150}).passed
    d = gate(
        "churn/1",
        {"metric": "latency_ms", "dataset": "holdout", "max": 100},
        {"metric": "accuracy", "dataset": "holdout", "min": 0.5, "max": 0.95},
    )
    assert [r.passed for r in d.results] == [False, True]
    assert d.results[0].message == "latency_ms 120 > max 100"
    missing = gate(
        "churn/1",
        {"metric": "recall", "dataset": "holdout", "min": 0.1},
        {"metric": "accuracy", "dataset": "other", "min": 0.1},
    )
    assert "has no metric 'recall' (it has: accuracy, latency_ms)" in missing.results[0].message
    assert "no evaluation on dataset 'other'" in missing.results[1].message


def test_compare_to_absolute_percent_and_lower_is_better(train, use_store):
    train(1)
    evaluate("churn/1", f1=0.80, loss=0.30)
    crown("churn/1")
    train(2)
    evaluate("churn/2", f1=0.795, loss=0.31)
    f1 = {"metric": "f1", "dataset": "holdout", "compare_to": "production"}
    d = gate(
        "churn/2",
        {**f1, "max_regression": 0.01},
        {**f1, "max_regression": 0.001},
        {**f1, "max_regression_pct": 1},
        {**f1, "max_regression_pct": 0.5},
        {**f1, "max_regression": 0.01, "max_regression_pct": 0.1},
        f1,
        {
            "metric": "loss",
            "dataset": "holdout",
            "compare_to": "production",
            "higher_is_better": False,
            "max_regression": 0.02,
        },
        {
            "metric": "loss",
            "dataset": "holdout",
            "compare_to": "production",
            "higher_is_better": False,
        },
    )
    assert [r.passed for r in d.results] == [True, False, True, False, False, False, True, False]
    first = d.results[0]
    assert (
        first.observed["incumbent"]["version"] == 1 and first.observed["incumbent"]["value"] == 0.80
    )
    assert first.observed["threshold"] == pytest.approx(0.79)
    assert len(first.evidence) == 2 and d.incumbents == {"production": 1}


def test_empty_alias_passes_and_says_why(train, use_store):
    train(1)
    evaluate("churn/1", f1=0.1)
    d = gate(
        "churn/1",
        {"metric": "f1", "dataset": "holdout", "compare_to": "champion", "max_regression": 0},
    )
    assert d.passed and "@champion points at no version yet" in d.results[0].message
    assert d.results[0].observed["incumbent"] is None


def test_incumbent_needs_an_evaluation_on_the_same_data(train, workdir, use_store):
    train(1)
    crown("churn/1")
    train(2)
    evaluate("churn/2", f1=0.9)
    d = gate("churn/2", {"metric": "f1", "dataset": "holdout", "compare_to": "production"})
    assert not d.passed and "has no evaluation on the same data" in d.results[0].message
    same = gate("churn/1", {"metric": "f1", "dataset": "holdout", "compare_to": "production"})
    assert not same.passed  # churn/1 itself was never evaluated on holdout
    evaluate("churn/1", f1=0.5)
    assert (
        gate("churn/1", {"metric": "f1", "dataset": "holdout", "compare_to": "production"})
        .results[0]
        .message
        == "the candidate is the incumbent churn/1 (same digest)"
    )


def test_slices(train, use_store):
    train(1)
    evaluate("churn/1", accuracy=0.9, slices={"eu": {"accuracy": 0.88}, "us": {"accuracy": 0.7}})
    acc = {"metric": "accuracy", "dataset": "holdout", "min": 0.8}
    d = gate(
        "churn/1",
        {**acc, "slice": "eu"},
        {**acc, "slice": "us"},
        {**acc, "slices": "all"},
        {**acc, "slices": ["eu"]},
        {**acc, "slices": ["eu", "apac"]},
    )
    assert [r.passed for r in d.results] == [True, False, False, True, False]
    assert d.results[2].observed["slices"] == {"eu": 0.88, "us": 0.7}
    assert "slice 'us': 0.7 < min 0.8" in d.results[2].message
    assert "slice 'apac' has no accuracy" in d.results[4].message


def test_require_lineage(train, workdir, use_store):
    train(1)
    assert gate("churn/1", {"require_lineage": True}).passed
    # Outside a task, the version links to the run that output exactly these bytes.
    loose = trackline.register_model("loose", workdir / "model-1.pkl")
    assert loose.producer_rule == "digest:newest-success-output"
    assert gate("loose/1", {"require_lineage": True}).passed
    # Bytes no tracked run wrote have no producer.
    (workdir / "hand-made.pkl").write_bytes(b"not written by any tracked run")
    trackline.register_model("hand-made", workdir / "hand-made.pkl")
    d = gate("hand-made/1", {"require_lineage": True})
    assert not d.passed and "has no producing run" in d.results[0].message

    @trackline.tracked_task
    def make_from_nothing(out: str):
        (workdir / out).write_bytes(b"weights")
        return trackline.register_model("orphan", workdir / out)

    make_from_nothing("orphan.bin")
    d = gate("orphan/1", {"require_lineage": True}, {"require_lineage": {"data": False}})
    assert [r.passed for r in d.results] == [False, True]
    assert "no training data is recorded" in d.results[0].message
    assert loose.version == 1


def test_max_evaluation_age_and_require_evaluation(train, use_store):
    mv = train(1)
    store = registry_store()
    old = Evaluation(
        id="old-eval",
        model_name="churn",
        model_version=1,
        model_digest=mv.digest,
        dataset_digest="d" * 64,
        dataset_name="archive",
        metrics={"accuracy": 0.99},
        created_at=utcnow() - timedelta(days=10),
        actor="test",
    )
    store.write_evaluation(old, [])
    d = gate(
        "churn/1",
        {"max_evaluation_age": "7d"},
        {"max_evaluation_age": "2w"},
        {"require_evaluation": "archive"},
        {"require_evaluation": "holdout"},
    )
    assert [r.passed for r in d.results] == [False, True, True, False]
    assert (
        d.results[0].evidence == ["old-eval"] and d.results[0].observed["oldest_age_s"] > 9 * 86400
    )
    fresh = evaluate("churn/1", accuracy=0.9)
    # Age looks at the evaluations the metric rules used: the fresh one.
    d = gate(
        "churn/1",
        {"metric": "accuracy", "dataset": "holdout", "min": 0.5},
        {"max_evaluation_age": "1h"},
        {"max_evaluation_age": "1h", "dataset": "archive"},
    )
    assert [r.passed for r in d.results] == [True, True, False]
    assert d.results[1].evidence == [fresh.id]
    assert d.results[2].evidence == ["old-eval"] and "older than 1h" in d.results[2].message
