"""The Prefect ``gate`` task in real flows: raises on a failing verdict, or returns it; promotes on
pass.

Self-contained: it reuses a Prefect API the session already runs (the Prefect tests' harness) or
starts its own test harness for this module.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import trackline
from trackline.errors import GateFailed

POLICY = (
    "name: prefect-release\nrules:\n  - metric: accuracy\n    dataset: holdout\n    min: 0.85\n"
    "  - require_lineage: true\n"
)


@pytest.fixture(scope="module")
def gate_prefect_api(tmp_path_factory):
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():  # the session's harness is already serving
        yield PREFECT_API_URL.value()
        return
    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("gate_prefect_home")))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


def release_flow():
    """The example flow, ``examples/registry/prefect_release.py``."""
    path = Path(__file__).resolve().parents[2] / "examples" / "registry" / "prefect_release.py"
    spec = importlib.util.spec_from_file_location("tl_prefect_release", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.release


def test_gate_task_raises_returns_and_promotes(gate_prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'store.db'}")
    (tmp_path / "holdout.csv").write_text("x,y\n1,0\n2,1\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    release = release_flow()

    with pytest.raises(GateFailed, match="gate 'prefect-release' failed for churn/1"):
        release(str(tmp_path), 0.6, str(policy))
    lenient = release(str(tmp_path), 0.7, str(policy), strict=False)
    assert (
        lenient["verdict"] == "fail" and lenient["version"] == 2 and lenient["promoted_to"] is None
    )
    assert lenient["failed_rules"] == ["accuracy on holdout >= 0.85"]
    passed = release(str(tmp_path), 0.95, str(policy))
    assert passed["verdict"] == "pass" and passed["promoted_to"] == "production"
    assert trackline.resolve_model("churn@production").version == 3
    actions = [e.action for e in trackline.audit_log(model="churn")]
    assert actions.count("gate.decision") == 3 and actions.count("alias.moved") == 1
    assert trackline.verify_audit().ok
