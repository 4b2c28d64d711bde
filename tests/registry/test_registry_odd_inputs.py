"""Inputs an outsider tried against the registry and gates: each gets trackline's own clear
error (or is stored as plain JSON), none breaks the audit chain or moves an alias unearned."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import trackline
from trackline.errors import ConfigError, InvalidInput, NotFound, PromotionRefused
from trackline.gates import load_policy
from trackline.model.registry import GateDecision
from trackline.registry import model_history

PASSING = {"name": "p", "rules": [{"metric": "accuracy", "dataset": "holdout", "min": 0.5}]}


def _evaluated(train, **metrics):
    mv = train(1)
    trackline.log_evaluation(
        mv.ref, dataset="holdout.csv", dataset_name="holdout", metrics=metrics or {"accuracy": 0.9}
    )
    return mv


def test_a_decision_object_counts_only_if_the_store_recorded_it(train, use_store):
    mv = _evaluated(train)
    fake = GateDecision(
        id="never-recorded",
        policy_name="x",
        policy_digest="0" * 64,
        model_name=mv.name,
        model_version=mv.version,
        model_digest=mv.digest,
        verdict="pass",
        results=[],
        actor="me",
    )
    with pytest.raises(PromotionRefused, match="no gate decision 'never-recorded'"):
        trackline.promote(mv.name, mv.version, alias="production", decision=fake)
    recorded = trackline.check_gate(mv.ref, PASSING)  # a mapping is a policy too (api.md)
    edited = recorded.model_copy(update={"model_digest": "f" * 64})
    move = trackline.promote(mv.name, mv.version, alias="production", decision=edited)
    assert move.decision_id == recorded.id  # the recorded decision decided, not the edited copy
    with pytest.raises(InvalidInput, match="decision id"):
        trackline.promote(mv.name, mv.version, alias="staging", decision=5)


def test_a_reason_or_actor_the_audit_log_cannot_hold_is_refused_before_anything_moves(
    train, use_store
):
    mv = _evaluated(train)
    for kw in ({"reason": "hotfix\x00"}, {"actor": "a\x00"}):
        with pytest.raises(InvalidInput, match="NUL"):
            trackline.promote(mv.name, mv.version, alias="production", policy=PASSING, **kw)
    assert trackline.verify_audit().ok
    with pytest.raises(NotFound):  # the alias never moved
        trackline.resolve_model(f"{mv.name}@production")


def test_names_versions_and_slices_are_checked_whole(train, use_store):
    mv = _evaluated(train)
    for bad in ("churn\n", "m/٣", "m/²", "m/9223372036854775808"):
        with pytest.raises(InvalidInput):
            trackline.resolve_model(bad)
    with pytest.raises(InvalidInput):
        trackline.resolve_model("churn", 10**30)
    with pytest.raises(InvalidInput, match="alias"):
        trackline.promote(mv.name, mv.version, alias="production\n", policy=PASSING)
    with pytest.raises(InvalidInput, match="slice names"):  # 1 and "1" would be one slice
        trackline.log_evaluation(
            mv.ref,
            dataset="holdout.csv",
            dataset_name="holdout",
            metrics={"accuracy": 0.9},
            slices={1: {"accuracy": 0.1}, "1": {"accuracy": 0.95}},
        )
    with pytest.raises(InvalidInput, match="beyond the range of a float"):
        trackline.log_evaluation(
            mv.ref, dataset="holdout.csv", dataset_name="holdout", metrics={"n": 10**400}
        )


def test_model_metadata_is_stored_as_plain_json(workdir, use_store):
    (workdir / "m.bin").write_bytes(b"model")
    mv = trackline.register_model(
        "meta", workdir / "m.bin", auc=np.float32(0.5), when=dt.date(2026, 1, 2), tags_={1, 2}
    )
    stored = trackline.resolve_model(mv.ref)
    assert stored.metadata == {"auc": 0.5, "when": "2026-01-02", "tags_": [1, 2]}


@pytest.mark.parametrize("age", [".inf", "99999999999w", "1" + "0" * 400])
def test_durations_past_any_calendar_are_a_policy_error(workdir, age):
    path = workdir / "p.yaml"
    path.write_text(f"name: p\nrules:\n  - max_evaluation_age: {age}\n")
    with pytest.raises(ConfigError, match="duration"):
        load_policy(path)


def test_a_key_given_twice_in_a_policy_file_is_an_error_not_the_last_one_wins(workdir):
    path = workdir / "dup.yaml"
    path.write_text(
        "name: p\nrules:\n  - metric: accuracy\n    dataset: holdout\n    min: 0.9\n    min: 0.1\n"
    )
    with pytest.raises(ConfigError, match="found the key 'min' twice"):
        load_policy(path)
    path.write_text(  # a merge key's values may still be overridden, as YAML intends
        "name: p\nrules:\n  - &b {metric: accuracy, dataset: holdout, min: 0.5}\n"
        "  - <<: *b\n    min: 0.9\n"
    )
    assert [r.min for r in load_policy(path).rules] == [0.5, 0.9]


def test_a_model_object_whose_bytes_cannot_be_kept_is_not_registered(use_store):
    with pytest.raises(InvalidInput, match="cannot be serialised"):
        trackline.register_model("fn", lambda x: x)
    with pytest.raises(NotFound):  # nothing was registered (artifacts.md)
        trackline.resolve_model("fn")


def test_arguments_of_the_wrong_type_get_a_clear_error_and_record_nothing(train, use_store):
    """Before: raw pydantic ValidationError, AttributeError or TypeError from deep inside, or
    (``run=5``) an evaluation silently linked to no run."""
    mv = _evaluated(train)
    before = trackline.evaluations(mv.ref)
    bad_evaluations = [
        {"dataset_name": 5},
        {"run": 5},
        {"run": object()},
    ]
    for kw in bad_evaluations:
        args = {"dataset": "holdout.csv", "metrics": {"accuracy": 0.9}, **kw}
        with pytest.raises(InvalidInput, match=next(iter(kw))):
            trackline.log_evaluation(mv.ref, **args)
    assert len(trackline.evaluations(mv.ref)) == len(before)
    with pytest.raises(InvalidInput, match="actor must be text, not int"):
        trackline.promote(mv.name, mv.version, alias="production", policy=PASSING, actor=5)
    with pytest.raises(NotFound):
        trackline.resolve_model(f"{mv.name}@production")
    with pytest.raises(InvalidInput, match="at must be a time"):
        model_history(mv.name, at="garbage")
    assert model_history(mv.name, at="2020-01-01T00:00:00").events == []
    for path in (None, 5):
        with pytest.raises(InvalidInput, match="path"):
            trackline.verify_model(mv.ref, path)
    with trackline.task_run("logs") as rec:
        for kw in ({"name": 5}, {"kind": ["x"]}):
            with pytest.raises(InvalidInput, match=next(iter(kw))):
                trackline.log_artifact({"a": 1}, **kw)
    assert trackline.connect().run(rec.id).outputs == []
    assert trackline.verify_audit().ok
