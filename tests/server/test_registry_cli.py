"""``trackline models|gate|audit`` against a real server: TRACKLINE_STORE=http://… plus a token
is all a CI job needs for register → evaluate → gate (fail, pass) → promote → verify → audit."""

from __future__ import annotations

import json
import uuid

import yaml

from .harness import base_env, cli


def test_cli_registry_workflow_through_the_server(server, registry, tmp_path):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    dataset = (
        registry["writer"]
        .list_evaluations(model_digest=registry["versions"]["first"].digest)[0]
        .dataset_digest
    )

    def env(role: str) -> dict[str, str]:
        return base_env(
            tmp_path / "home", TRACKLINE_STORE=server.url, TRACKLINE_TOKEN=server.tokens[role]
        )

    def run(role: str, *args: str, check: bool = True):
        return cli(*args, env=env(role), check=check)

    good, bad = tmp_path / "good.bin", tmp_path / "bad.bin"
    good.write_bytes(b"good weights")
    bad.write_bytes(b"bad weights")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "name": "cli-gate",
                "rules": [
                    {"metric": "accuracy", "dataset": "holdout", "min": 0.85},
                    {"max_evaluation_age": "7d"},
                ],
            }
        )
    )

    denied = run("reader", "models", "register", name, str(good), check=False)
    assert denied.returncode == 2 and "needs role 'writer'" in denied.stderr
    v1 = json.loads(
        run("writer", "models", "register", name, str(good), "--tag", "stage=cli", "--json").stdout
    )
    v2 = json.loads(run("writer", "models", "register", name, str(bad), "--json").stdout)
    assert (v1["version"], v2["version"]) == (1, 2) and v1["actor"] == "writer-bot"
    for version, acc in (("1", "0.93"), ("2", "0.5")):
        run(
            "writer",
            "models",
            "evaluate",
            name,
            version,
            "--dataset",
            dataset,
            "--dataset-name",
            "holdout",
            "--metric",
            f"accuracy={acc}",
        )

    # Gate decisions need an approver; a failing verdict exits 1, a passing one 0.
    assert (
        run("writer", "gate", "check", name, "2", "--policy", str(policy), check=False).returncode
        == 2
    )
    failing = run(
        "approver", "gate", "check", name, "2", "--policy", str(policy), "--json", check=False
    )
    assert failing.returncode == 1 and json.loads(failing.stdout)["verdict"] == "fail"
    refused = run("approver", "models", "promote", name, "2", "--alias", "production", check=False)
    assert refused.returncode == 1 and "failed" in refused.stderr
    markdown = run(
        "approver", "gate", "check", name, "1", "--policy", str(policy), "--markdown"
    ).stdout
    assert (
        markdown.lstrip().startswith(("#", "|", "**"))
        and "pass" in markdown.lower()
        and "|" in markdown
    )
    moved = json.loads(
        run("approver", "models", "promote", name, "1", "--alias", "production", "--json").stdout
    )
    assert moved["promoted"] is True and moved["actor"] == "approver-bot"

    shown = json.loads(run("reader", "models", "show", f"{name}@production", "--json").stdout)
    assert shown["version"]["version"] == 1 and shown["version"]["aliases"] == ["production"]
    assert [d["verdict"] for d in shown["decisions"]] == ["pass"] and shown["evaluations"][0][
        "metrics"
    ] == {"accuracy": 0.93}
    listed = json.loads(run("reader", "models", "list", "--json").stdout)
    assert any(m["name"] == name and m["aliases"] == {"production": 1} for m in listed)

    # A read-only deploy token verifies what it ships; the verification is audited.
    assert (
        run("reader", "models", "verify", f"{name}@production", "--file", str(good)).returncode == 0
    )
    tampered = run(
        "reader", "models", "verify", f"{name}@production", "--file", str(bad), check=False
    )
    assert tampered.returncode == 1 and "MISMATCH" in tampered.stderr

    log = json.loads(run("reader", "audit", "log", "--model", name, "--json").stdout)
    actions = [(e["action"], e["actor"]) for e in log]
    for expected in [
        ("model.registered", "writer-bot"),
        ("evaluation.logged", "writer-bot"),
        ("gate.decision", "approver-bot"),
        ("alias.moved", "approver-bot"),
        ("model.verified", "reader-bot"),
    ]:
        assert expected in actions, (expected, actions)
    report = json.loads(run("reader", "audit", "verify", "--json").stdout)
    assert report["ok"] is True and report["entries"] == report["head_seq"] > len(log)
