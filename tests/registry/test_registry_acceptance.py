"""A new user's walk through docs/registry.md with only the example pipeline and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry"
BIN = Path(sys.executable).parent


def sh(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "trackline"), *args] if args[0] != "python" else [sys.executable, *args[1:]]
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env=os.environ.copy(), timeout=600
    )


def test_register_evaluate_gate_fail_then_pass_promote_verify(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("TRACKLINE_ACTOR", "new-user")
    policy = str(EXAMPLE / "policy.yaml")
    pipeline = str(EXAMPLE / "churn_pipeline.py")

    weak = sh("python", pipeline, "--workdir", "work", "--max-depth", "1", cwd=tmp_path)
    assert weak.returncode == 0, weak.stderr
    assert "registered churn/1" in weak.stdout
    failing = sh("gate", "check", "churn", "1", "--policy", policy, cwd=tmp_path)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FAIL" in failing.stdout
    refused = sh("models", "promote", "churn", "1", "--alias", "production", cwd=tmp_path)
    assert refused.returncode == 1 and "the gate 'churn-production' failed" in refused.stderr

    strong = sh("python", pipeline, "--workdir", "work", "--max-depth", "8", cwd=tmp_path)
    assert strong.returncode == 0, strong.stderr
    assert "registered churn/2" in strong.stdout
    passing = sh("gate", "check", "churn", "2", "--policy", policy, "--markdown", cwd=tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert passing.stdout.startswith("### ✅ Gate `churn-production` passed for `churn/2`")
    promoted = sh("models", "promote", "churn", "2", "--alias", "production", cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stderr

    shown = json.loads(sh("models", "show", "churn@production", "--json", cwd=tmp_path).stdout)
    assert shown["version"]["version"] == 2 and shown["version"]["aliases"] == ["production"]
    deployed = tmp_path / "deploy" / "model.pkl"
    deployed.parent.mkdir()
    shutil.copy(tmp_path / "work" / "model-depth8.pkl", deployed)
    assert (
        sh("models", "verify", "churn@production", "--file", str(deployed), cwd=tmp_path).returncode
        == 0
    )
    shutil.copy(tmp_path / "work" / "model-depth1.pkl", deployed)
    wrong = sh("models", "verify", "churn@production", "--file", str(deployed), cwd=tmp_path)
    assert wrong.returncode == 1 and "MISMATCH" in wrong.stderr

    audit = sh("audit", "verify", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    log = json.loads(sh("audit", "log", "--model", "churn", "--json", cwd=tmp_path).stdout)
    actions = [e["action"] for e in log]
    assert actions.count("promotion.refused") == 1 and actions.count("alias.moved") == 1
    assert {e["actor"] for e in log} == {"new-user"}
