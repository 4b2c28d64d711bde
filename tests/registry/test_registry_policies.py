"""Malformed and semantically wrong policies: one clear line per problem, exit 2, nothing
recorded."""

from __future__ import annotations

import pytest

import trackline
from trackline.errors import ConfigError
from trackline.gates import load_policy
from trackline.registry.store import registry_store

BAD = [
    ("name: p\nrules:\n  - metric: accuracy\n    min: [0.8\n", "line 5, column 1: not valid YAML"),
    ("- just\n- a list\n", "a gate policy is a mapping"),
    ("rules:\n  - require_lineage: true\n", "field name: Field required"),
    ("name: p\nrules: []\n", "field rules: List should have at least 1 item"),
    ("name: p\nrules:\n  - metrc: accuracy\n", "rules[0] (rule 1): each rule needs exactly one of"),
    (
        "name: p\nrules:\n  - metric: f1\n    require_lineage: true\n",
        "rules[0] (rule 1): each rule needs exactly one of",
    ),
    (
        "name: p\nrules:\n  - require_lineage: true\n"
        "  - metric: f1\n    dataset: h\n    minimum: 0.8\n",
        "rules[1] (rule 2, metric rule), field minimum: unknown field",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    min: 0.8\n",
        "rules[0] (rule 1, metric rule), field dataset: Field required",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    max_regression: 0.01\n",
        "rules[0] (rule 1, metric rule): max_regression/max_regression_pct need compare_to",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n",
        "rules[0] (rule 1, metric rule): a metric rule needs min, max or compare_to",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    min: 0.9\n    max: 0.1\n",
        "min (0.9) is greater than max (0.1)",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n"
        "    compare_to: production\n    max_regression: -0.1\n",
        "field max_regression: Input should be greater than or equal to 0",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    min: .nan\n",
        "field min: must be a finite number",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    min: high\n",
        "field min: Input should be a valid number",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    compare_to: '3'\n",
        "compare_to names an alias",
    ),
    (
        "name: p\nrules:\n  - metric: f1\n    dataset: h\n    min: 0\n"
        "    slices: all\n    slice: eu\n",
        "give slice (one slice) or slices",
    ),
    ("name: p\nrules:\n  - max_evaluation_age: 7 days\n", "'7 days' is not a duration"),
    ("name: p\nrules:\n  - max_evaluation_age: -5\n", "a duration must be positive"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_policy_is_a_config_error_naming_file_rule_and_field(tmp_path, text, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="policy file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_cli_exits_2_on_bad_policy_and_unknown_model(train, policy, invoke, workdir, use_store):
    train(1)
    bad = workdir / "bad.yaml"
    bad.write_text(BAD[8][0])
    res = invoke("gate", "check", "churn", "1", "--policy", str(bad))
    assert res.exit_code == 2
    assert (
        "bad.yaml: rules[0] (rule 1, metric rule): "
        "max_regression/max_regression_pct need compare_to" in res.output
    )
    res = invoke("gate", "validate", str(bad))
    assert res.exit_code == 2 and "need compare_to" in res.output
    for args in (["nope", "1"], ["churn", "7"], ["churn", "production"], ["churn", "x/y"]):
        res = invoke("gate", "check", *args, "--policy", str(policy))
        assert res.exit_code == 2, (args, res.output)
        assert res.output.startswith("error: ")
    res = invoke("models", "promote", "churn", "1", "--alias", "production", "--policy", str(bad))
    assert res.exit_code == 2
    assert registry_store().list_decisions() == []  # nothing recorded for errors
    assert trackline.resolve_model("churn/1").aliases == []
    res = invoke("gate", "validate", str(policy), "--json")
    assert res.exit_code == 0 and '"name": "churn-production"' in res.output
