"""Trigger policies: validation errors, webhook firing against a real HTTP server, exactly once
per drift episode, cooldown, dry runs, retries after failures, and metric degradation."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import trackline
from trackline.cli.main import cli
from trackline.errors import ConfigError
from trackline.model.runs import utcnow
from trackline.monitoring.triggers import evaluate_policy, load_policy, parse_policy


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append({"key": self.headers["Idempotency-Key"], "body": body})
        status = self.server.fail.pop(0) if self.server.fail else 200
        out = json.dumps({"accepted": status == 200}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.calls, server.fail = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "y": rng.normal(shift, 1, n)})


@trackline.tracked_task(name="train")
def train(data: pd.DataFrame) -> int:
    return len(data)


@trackline.tracked_task(name="score")
def score(batch: pd.DataFrame) -> int:
    return len(batch)


def _policy(url: str, **extra) -> dict:
    rule = {
        "name": "drift",
        "when": {"drift": {"reference": "task:train/data", "current": "task:score/batch@last"}},
        "action": {"type": "webhook", "url": url},
    }
    rule.update(extra.pop("rule", {}))
    return {"name": "retrain", "rules": [rule], **extra}


def test_malformed_policies_name_the_field(tmp_path):
    cases = [
        ({"name": "p"}, "rules: Field required"),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {"drift": {"reference": "a"}},
                        "action": {"type": "webhook", "url": "http://h"},
                    }
                ],
            },
            "rules[0] (r), field when.drift.current: Field required",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {"drift": {"reference": "a", "current": "b"}},
                        "action": {"type": "airflow_dag_run", "url": "http://h"},
                    }
                ],
            },
            "rules[0] (r), field action.dag_id: Field required",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {"drift": {"reference": "a", "current": "b"}},
                        "action": {"type": "telegram"},
                    }
                ],
            },
            "does not match any of the expected tags",
        ),
        (
            {"name": "p", "cooldown": "soon", "rules": []},
            "field cooldown: 'soon' is not a duration",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {"name": "r", "when": {}, "action": {"type": "webhook", "url": "http://h"}}
                ],
            },
            "needs exactly one of: drift, degradation",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {
                            "degradation": {"metric": "auc", "baseline": 0.9, "current": "task:e"}
                        },
                        "action": {"type": "webhook", "url": "http://h"},
                    }
                ],
            },
            "at least one threshold",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {"drift": {"reference": "a", "current": "b"}},
                        "action": {"type": "webhook", "url": "http://h", "retries": 3},
                    }
                ],
            },
            "rules[0] (r), field action.retries: unknown field (check the spelling)",
        ),
        (
            {
                "name": "p",
                "rules": [
                    {
                        "name": "r",
                        "when": {"drift": {"reference": "a", "current": "b"}},
                        "action": {"type": "prefect_deployment", "deployment": "no-slash"},
                    }
                ],
            },
            "rules[0] (r), field action.deployment: String should match pattern",
        ),
        (["not", "a", "mapping"], "a trigger policy is a mapping"),
    ]
    for data, message in cases:
        with pytest.raises(ConfigError) as err:
            parse_policy(data, "policy.yaml")
        assert message in str(err.value), str(err.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: p\nrules: [\n  - oops\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: not valid YAML"):
        load_policy(broken)
    with pytest.raises(ConfigError, match="trigger policy file not found"):
        load_policy(tmp_path / "absent.yaml")


def test_one_drift_episode_fires_once(use_store, hook):
    url = f"http://127.0.0.1:{hook.server_port}/retrain"
    policy = parse_policy(_policy(url))
    train(_batch(5_000, 1))
    score(_batch(2_000, 2))
    assert [o.status for o in evaluate_policy(policy)] == ["clear"]
    assert hook.calls == []

    score(_batch(2_000, 3, shift=1.0))  # the episode begins
    first = evaluate_policy(policy)[0]
    assert first.status == "fired", first.message
    assert len(hook.calls) == 1
    call = hook.calls[0]
    assert call["key"] == f"retrain/drift/{first.episode}" == call["body"]["idempotency_key"]
    assert call["body"]["evidence"]["drift_report"] and "columns: x, y" in call["body"]["reason"]

    score(_batch(2_000, 4, shift=1.2))  # still drifting: same episode, no second retraining
    again = evaluate_policy(policy)[0]
    assert again.status == "already_fired" and again.episode == first.episode
    assert len(hook.calls) == 1

    score(_batch(2_000, 5))  # back to normal: the episode ends
    assert evaluate_policy(policy)[0].status == "clear"
    score(_batch(2_000, 6, shift=-1.0))  # a new episode: a new retraining
    second = evaluate_policy(policy)[0]
    assert second.status == "fired" and second.episode != first.episode
    assert len(hook.calls) == 2

    store = trackline.connect().store.backend
    fired = store.list_firings("retrain")
    assert [f.status for f in fired] == ["fired", "fired"]
    assert fired[0].started["status"] == 200 and fired[0].started["response"] == {"accepted": True}
    assert fired[1].evidence["kind"] == "drift"


def test_concurrent_evaluations_fire_once(use_store, hook):
    policy = parse_policy(_policy(f"http://127.0.0.1:{hook.server_port}/"))
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=2.0))
    results, barrier = [], threading.Barrier(3)

    def worker():
        barrier.wait()
        results.append(evaluate_policy(policy)[0].status)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_fired", "already_fired", "fired"]
    assert len(hook.calls) == 1


def test_cooldown_dry_run_and_retry_after_failure(use_store, hook):
    url = f"http://127.0.0.1:{hook.server_port}/"
    policy = parse_policy(_policy(url, cooldown="1h"))
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=2.0))

    dry = evaluate_policy(policy, dry_run=True)[0]
    assert dry.status == "dry_run" and hook.calls == []

    hook.fail = [500]
    failed = evaluate_policy(policy)[0]
    assert failed.status == "failed" and "answered 500" in failed.message
    retried = evaluate_policy(policy)[0]  # same episode, claimed again because it failed
    assert retried.status == "fired" and retried.episode == failed.episode
    assert len(hook.calls) == 2 and hook.calls[0]["key"] == hook.calls[1]["key"]

    score(_batch(2_000, 3))
    evaluate_policy(policy)  # clears
    score(_batch(2_000, 4, shift=2.0))
    cooling = evaluate_policy(policy)[0]
    assert cooling.status == "cooldown" and "cooling down until" in cooling.message
    assert len(hook.calls) == 2
    later = evaluate_policy(policy, now=utcnow() + timedelta(hours=2))[0]
    assert later.status == "fired" and later.episode == cooling.episode
    assert len(hook.calls) == 3
    statuses = [f.status for f in trackline.connect().monitoring.list_firings("retrain")]
    assert sorted(statuses) == ["dry_run", "fired", "fired"]


def test_monitor_cli(use_store, hook, tmp_path):
    import yaml

    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_policy(f"http://127.0.0.1:{hook.server_port}/")))
    train(_batch(5_000, 1))
    score(_batch(2_000, 2, shift=2.0))
    runner = CliRunner()
    assert runner.invoke(cli, ["monitor", "validate", "--policy", str(path)]).exit_code == 0
    first = runner.invoke(cli, ["monitor", "run", "--policy", str(path), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["rules"][0]["status"] == "fired"
    second = runner.invoke(cli, ["monitor", "run", "--policy", str(path)])
    assert second.exit_code == 0 and "already_fired" in second.output
    listed = json.loads(runner.invoke(cli, ["monitor", "firings", "--json"]).output)
    assert len(listed) == 1 and listed[0]["status"] == "fired"
    assert len(hook.calls) == 1
    path.write_text(
        "name: p\nrules:\n  - name: r\n    when: {drift: {reference: a}}\n"
        "    action: {type: webhook, url: 'http://h'}\n"
    )
    bad = runner.invoke(cli, ["monitor", "run", "--policy", str(path)])
    assert bad.exit_code == 2 and "when.drift.current: Field required" in bad.output


def test_metric_degradation(use_store, hook):
    @trackline.tracked_task(name="evaluate")
    def evaluate(auc: float) -> None:
        trackline.log_metric("auc", auc)

    @trackline.tracked_task(name="production_eval")
    def production_eval(auc: float) -> None:
        trackline.log_metric("auc", auc)

    for auc in (0.90, 0.91, 0.89):
        evaluate(auc)  # repeated evaluations at promotion: spread 0.01
    for auc in (0.90, 0.895):
        production_eval(auc)
    rule = {
        "name": "auc-drop",
        "when": {
            "degradation": {
                "metric": "auc",
                "baseline": "task:evaluate@last:3",
                "current": "task:production_eval@last:2",
                "relative": 0.05,
                "sigmas": 3,
            }
        },
        "action": {"type": "webhook", "url": f"http://127.0.0.1:{hook.server_port}/"},
    }
    policy = parse_policy({"name": "quality", "rules": [rule]})
    assert evaluate_policy(policy)[0].status == "clear"

    production_eval(0.80)
    production_eval(0.82)
    out = evaluate_policy(policy)[0]
    assert out.status == "fired", out.message
    checks = {c["method"]: c for c in out.evidence["checks"]}
    assert checks["relative"]["score"] == pytest.approx((0.90 - 0.81) / 0.90)
    assert checks["sigmas"]["score"] == pytest.approx(9.0)
    assert "metric degradation" in hook.calls[0]["body"]["reason"]

    runner = CliRunner()
    res = runner.invoke(
        cli,
        [
            "monitor",
            "degradation",
            "auc",
            "--baseline",
            "0.9",
            "--current",
            "task:production_eval@last:2",
            "--absolute",
            "0.05",
            "--json",
        ],
    )
    assert res.exit_code == 1, res.output
    assert json.loads(res.output)["degraded"] is True
    ok = runner.invoke(
        cli,
        [
            "monitor",
            "degradation",
            "auc",
            "--baseline",
            "0.9",
            "--current",
            "task:production_eval@last:2",
            "--absolute",
            "0.2",
        ],
    )
    assert ok.exit_code == 0 and ok.output.startswith("ok:")


def test_watched_columns(use_store, hook):
    url = f"http://127.0.0.1:{hook.server_port}/"
    train(_batch(5_000, 1))
    shifted = _batch(2_000, 2)
    shifted["x"] += 2.0  # only x moves
    score(shifted)
    only_y = parse_policy(
        _policy(
            url,
            rule={
                "when": {
                    "drift": {
                        "reference": "task:train/data",
                        "current": "task:score/batch@last",
                        "columns": ["y"],
                    }
                }
            },
        )
    )
    assert evaluate_policy(only_y)[0].status == "clear"
    only_x = parse_policy(
        _policy(
            url,
            rule={
                "name": "x-drift",
                "when": {
                    "drift": {
                        "reference": "task:train/data",
                        "current": "task:score/batch@last",
                        "columns": ["x"],
                    }
                },
            },
        )
    )
    fired = evaluate_policy(only_x)[0]
    assert fired.status == "fired" and [c["column"] for c in fired.evidence["drifted_columns"]] == [
        "x"
    ]
    typo = parse_policy(
        _policy(
            url,
            rule={
                "when": {
                    "drift": {
                        "reference": "task:train/data",
                        "current": "task:score/batch@last",
                        "columns": ["xx"],
                    }
                }
            },
        )
    )
    out = evaluate_policy(typo)[0]
    assert out.status == "error" and "does not have: xx" in out.message


class _Model:  # module level: a class defined in a test function cannot be pickled
    coef = [0.3, 0.7]


def test_model_degradation_from_registry_evaluations(use_store, hook):
    """Baseline: the production version's evaluations up to its promotion; current: later ones.
    The firing is also in the audit log."""
    from trackline.gates import parse_policy as parse_gate

    holdout = _batch(500, 9)
    trackline.register_model("churn", _Model())  # any picklable object registers by content
    for auc in (0.90, 0.91, 0.89):
        trackline.log_evaluation("churn/1", holdout, {"auc": auc}, dataset_name="holdout")
    trackline.promote(
        "churn",
        1,
        alias="production",
        policy=parse_gate({"name": "bootstrap", "rules": [{"require_lineage": False}]}),
    )
    trackline.log_evaluation("churn/1", _batch(500, 10), {"auc": 0.905}, dataset_name="prod-week-1")

    rule = {
        "name": "auc-drop",
        "when": {
            "degradation": {
                "metric": "auc",
                "model": "churn@production",
                "window": "last",
                "relative": 0.05,
                "sigmas": 3,
            }
        },
        "action": {"type": "webhook", "url": f"http://127.0.0.1:{hook.server_port}/"},
    }
    policy = parse_policy({"name": "quality", "rules": [rule]})
    calm = evaluate_policy(policy)[0]
    assert calm.status == "clear", calm.message
    assert [p["value"] for p in calm.evidence["baseline"]["points"]] == [0.90, 0.91, 0.89]
    assert calm.evidence["current"]["points"][0]["dataset"] == "prod-week-1"

    trackline.log_evaluation("churn/1", _batch(500, 11), {"auc": 0.80}, dataset_name="prod-week-2")
    out = evaluate_policy(policy)[0]
    assert out.status == "fired", out.message
    assert out.evidence["current"]["value"] == pytest.approx(0.80)
    assert out.evidence["baseline"]["model"] == "churn/1"
    assert len(hook.calls) == 1 and "metric degradation" in hook.calls[0]["body"]["reason"]
    audit = [e for e in trackline.audit_log() if e.action.startswith("trigger.")]
    assert [(e.action, e.model, e.version) for e in audit] == [("trigger.fired", "churn", 1)]
    assert audit[0].data["key"] == out.firing.key

    runner = CliRunner()
    res = runner.invoke(
        cli,
        [
            "monitor",
            "degradation",
            "auc",
            "--model",
            "churn@production",
            "--window",
            "last:2",
            "--absolute",
            "0.03",
            "--json",
        ],
    )
    assert res.exit_code == 1, res.output
    assert json.loads(res.output)["current"]["value"] == pytest.approx((0.905 + 0.80) / 2)
    never = runner.invoke(
        cli,
        [
            "monitor",
            "degradation",
            "auc",
            "--model",
            "churn/1",
            "--dataset",
            "nope",
            "--absolute",
            "0.1",
        ],
    )
    assert never.exit_code == 2 and "no evaluation of 'auc' on dataset 'nope'" in never.output
    with pytest.raises(ConfigError, match="give a model"):
        parse_policy(
            {
                "name": "q",
                "rules": [{**rule, "when": {"degradation": {"metric": "auc", "absolute": 1}}}],
            }
        )
