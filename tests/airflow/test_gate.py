"""``PromotionGateOperator`` in real DAG runs: a failing verdict skips (or fails) the deploy path.

The DAG is ``examples/registry/airflow_release.py``. Self-contained (its own AIRFLOW_HOME) so it
runs with or without the other Airflow tests' fixtures; the DAG runs in a subprocess via
``dag.test()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trackline
from trackline.registry.store import registry_store

BIN = Path(sys.executable).parent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry" / "airflow_release.py"

RUNNER = textwrap.dedent("""
    import importlib.util, json, sys
    spec = importlib.util.spec_from_file_location("tl_gate_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for conf in json.loads(sys.argv[2]):  # one process: only the first dag.test() pays start-up
        dr = module.release_dag.test(run_conf=conf)
        tasks = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
        print("RESULT=" + json.dumps({"state": str(dr.state), "tasks": tasks}))
""")

POLICY = (
    "name: airflow-release\nrules:\n  - metric: accuracy\n    dataset: holdout\n    min: 0.85\n"
    "  - require_lineage: true\n"
)


@pytest.fixture(scope="module")
def gate_airflow(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("gate_airflow_home")
    (home / "dags").mkdir()
    (home / "dags" / "tl_gate_release.py").write_text(EXAMPLE.read_text())
    (home / "run_dag.py").write_text(RUNNER)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return {"home": str(home), **{k: v for k, v in env.items() if k.startswith("AIRFLOW")}}


def run_release(gate_airflow: dict[str, str], *confs: dict) -> list[dict]:
    home = Path(gate_airflow["home"])
    env = {**os.environ, **{k: v for k, v in gate_airflow.items() if k != "home"}}
    proc = subprocess.run(
        [
            sys.executable,
            str(home / "run_dag.py"),
            str(home / "dags" / "tl_gate_release.py"),
            json.dumps(confs),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")]
    assert len(lines) == len(confs), proc.stdout[-3000:] + proc.stderr[-3000:]
    return [json.loads(line.removeprefix("RESULT=")) for line in lines]


def test_failing_gate_skips_deploy_then_passing_gate_promotes(gate_airflow, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKLINE_STORE", f"sqlite:///{tmp_path / 'store.db'}")
    (tmp_path / "holdout.csv").write_text("x,y\n1,0\n2,1\n")
    (tmp_path / "policy.yaml").write_text(POLICY)
    conf = {"workdir": str(tmp_path), "policy": str(tmp_path / "policy.yaml")}

    weak, strong = run_release(
        gate_airflow, {**conf, "accuracy": "0.6"}, {**conf, "accuracy": "0.95"}
    )
    assert weak["tasks"]["train"].endswith("success")
    assert weak["tasks"]["gate"].endswith("skipped")
    assert weak["tasks"]["deploy"].endswith("skipped")
    assert weak["tasks"]["strict_gate"].endswith("failed")
    assert weak["state"].endswith("failed")

    assert {t: s.rsplit(".", 1)[-1] for t, s in strong["tasks"].items()} == {
        "train": "success",
        "gate": "success",
        "strict_gate": "success",
        "deploy": "success",
    }
    assert (tmp_path / "deployed.txt").read_text() == "churn/2"
    assert (tmp_path / "deployed.pkl").read_bytes() == (tmp_path / "model-0.95.pkl").read_bytes()
    assert trackline.resolve_model("churn@production").version == 2
    verdicts = [
        (d.model_version, d.verdict)
        for d in sorted(registry_store().list_decisions(), key=lambda d: d.created_at)
    ]
    assert sorted(verdicts) == [(1, "fail"), (1, "fail"), (2, "pass"), (2, "pass")]
    moves = [e for e in trackline.audit_log(model="churn") if e.action == "alias.moved"]
    assert [(m.data["from"], m.data["to"]) for m in moves] == [(None, 2)]
    assert trackline.verify_audit().ok
