"""Promotion needs a passing decision for the exact digest; racing promotions; verify before
deploy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import trackline
from trackline.errors import Conflict, PromotionRefused

TRACKLINE = str(Path(sys.executable).parent / "trackline")


def test_promotion_refused_without_a_passing_decision(train, policy, invoke, use_store):
    train(1)
    res = invoke("models", "promote", "churn", "1", "--alias", "production")
    assert res.exit_code == 1 and "no gate decision is recorded for churn/1" in res.output
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.5, "f1": 0.5},
    )
    assert invoke("gate", "check", "churn", "1", "--policy", str(policy)).exit_code == 1
    res = invoke("models", "promote", "churn", "1", "--alias", "production", "--json")
    assert res.exit_code == 1
    assert json.loads(res.output.split("\nerror:")[0])["error"] == "promotion_refused"
    res = invoke(
        "models", "promote", "churn", "1", "--alias", "production", "--policy", str(policy)
    )
    assert res.exit_code == 1 and "failed for churn/1 (rules 1" in res.output
    assert trackline.resolve_model("churn/1").aliases == []
    refused = [e for e in trackline.audit_log(model="churn") if e.action == "promotion.refused"]
    assert len(refused) == 3 and all(e.data["alias"] == "production" for e in refused)


def test_decision_must_be_for_the_exact_digest(train, policy, use_store):
    train(1)
    train(2)
    for ref in ("churn/1", "churn/2"):
        trackline.log_evaluation(
            ref, dataset="holdout.csv", dataset_name="holdout", metrics={"accuracy": 0.9, "f1": 0.9}
        )
    passed = trackline.check_gate("churn/1", policy)
    with pytest.raises(PromotionRefused, match="is about digest"):
        trackline.promote("churn", 2, alias="production", decision=passed.id)
    with pytest.raises(PromotionRefused, match="no gate decision"):
        trackline.promote("churn/2", alias="production")
    move = trackline.promote("churn", 1, alias="production", decision=passed.id[:12])
    assert (move.version, move.previous, move.decision_id) == (1, None, passed.id)


def test_promote_with_policy_moves_alias_and_audits_it(train, policy, invoke, use_store):
    train(1)
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.9, "f1": 0.8},
    )
    res = invoke(
        "models",
        "promote",
        "churn",
        "1",
        "--alias",
        "production",
        "--policy",
        str(policy),
        "--reason",
        "first release",
        "--json",
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["promoted"] is True
    train(2)
    trackline.log_evaluation("churn/2", dataset="holdout", metrics={"accuracy": 0.91, "f1": 0.795})
    res = invoke(
        "models", "promote", "churn", "2", "--alias", "production", "--policy", str(policy)
    )
    assert res.exit_code == 0, res.output
    assert "churn@production -> version 2 (was version 1" in res.output
    assert trackline.resolve_model("churn@production").version == 2
    moves = [e for e in trackline.audit_log(model="churn") if e.action == "alias.moved"]
    assert [(m.data["from"], m.data["to"]) for m in moves] == [(None, 1), (1, 2)]
    assert moves[0].data["reason"] == "first release"
    assert invoke("models", "show", "churn@production").exit_code == 0


def test_alias_moved_since_the_decision_is_a_conflict(train, policy, use_store):
    train(1)
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.9, "f1": 0.8},
    )
    train(2)
    trackline.log_evaluation("churn/2", dataset="holdout", metrics={"accuracy": 0.9, "f1": 0.85})
    stale = trackline.check_gate("churn/2", policy)  # compared against an empty production
    trackline.promote("churn", 1, alias="production", policy=policy)
    with pytest.raises(Conflict, match="another promotion won"):
        trackline.promote("churn", 2, alias="production", decision=stale.id)
    assert trackline.resolve_model("churn@production").version == 1


def test_racing_promotions_in_real_processes_leave_one_winner(train, policy, use_store):
    train(1)
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.9, "f1": 0.8},
    )
    trackline.promote("churn", 1, alias="production", policy=policy)
    for seed in (2, 3):
        train(seed)
        trackline.log_evaluation(
            f"churn/{seed}", dataset="holdout", metrics={"accuracy": 0.95, "f1": 0.9}
        )
        assert trackline.check_gate(f"churn/{seed}", policy).incumbents == {"production": 1}
    procs = [
        subprocess.Popen(
            [TRACKLINE, "models", "promote", "churn", str(v), "--alias", "production"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for v in (2, 3)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read() + p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 1], outcomes
    winner = (2, 3)[[code for code, _ in outcomes].index(0)]
    loser = 5 - winner
    assert "another promotion won" in outcomes[(2, 3).index(loser)][1]
    assert trackline.resolve_model("churn@production").version == winner
    log = trackline.audit_log(model="churn")
    moves = [e for e in log if e.action == "alias.moved"]
    conflicts = [e for e in log if e.action == "promotion.conflict"]
    assert [(m.data["from"], m.data["to"]) for m in moves] == [(None, 1), (1, winner)]
    assert [(c.version, c.data["expected"], c.data["found"]) for c in conflicts] == [
        (loser, 1, winner)
    ]
    assert trackline.verify_audit().ok


def test_verify_right_and_tampered_file_and_directory(train, policy, invoke, workdir, use_store):
    train(1)
    trackline.log_evaluation(
        "churn/1",
        dataset="holdout.csv",
        dataset_name="holdout",
        metrics={"accuracy": 0.9, "f1": 0.8},
    )
    trackline.promote("churn", 1, alias="production", policy=policy)
    deployed = workdir / "deploy" / "model.pkl"
    deployed.parent.mkdir()
    deployed.write_bytes((workdir / "model-1.pkl").read_bytes())
    res = invoke("models", "verify", "churn@production", "--file", str(deployed))
    assert res.exit_code == 0 and res.output.startswith("OK:")
    deployed.write_bytes(deployed.read_bytes() + b"\0")
    res = invoke("models", "verify", "churn@production", "--file", str(deployed), "--json")
    assert res.exit_code == 1 and json.loads(res.output)["ok"] is False
    assert invoke("models", "verify", "churn@staging", "--file", str(deployed)).exit_code == 2
    assert invoke("models", "verify", "churn@production", "--file", "missing.pkl").exit_code == 2
    bundle = workdir / "bundle"
    bundle.mkdir()
    (bundle / "weights.bin").write_bytes(b"w" * 100)
    (bundle / "config.json").write_text("{}")
    mv = trackline.register_model("bundle", bundle)
    assert trackline.verify_model("bundle/1", bundle).ok
    (bundle / "config.json").write_text('{"x": 1}')
    result = trackline.verify_model(f"bundle/{mv.version}", bundle)
    assert not result.ok and result.actual_digest != result.expected_digest
    checks = [e.data["ok"] for e in trackline.audit_log() if e.action == "model.verified"]
    assert checks == [True, False, True, False]
