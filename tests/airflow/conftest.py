"""Real Airflow for the Airflow tests: one temporary AIRFLOW_HOME, migrated once per session.

The example DAGs and the test DAGs are copied into that home's dags folder (``dag.test()``
needs the file inside it). The listener is on (``AIRFLOW__TRACKLINE__CAPTURE_ALL_TASKS``);
tests that need it off turn the variable off. Each test still gets its own trackline home
(the shared ``trackline_env`` fixture), so every store starts empty.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import BIN

ROOT = Path(__file__).resolve().parents[2]

DAG_SOURCES = [ROOT / "example_dags", Path(__file__).parent / "dags"]


def airflow_env(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__TRACKLINE__CAPTURE_ALL_TASKS": "True",
        "TRACKLINE_EXAMPLE_DATA": str(home / "example-data"),
    }


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow_home")
    (home / "dags").mkdir()
    for src in DAG_SOURCES:
        for dag_file in src.glob("*.py"):
            shutil.copy(dag_file, home / "dags" / dag_file.name)
    env = airflow_env(home)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # before anything imports airflow in this process
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


_modules: dict[str, Any] = {}


def load_dag(home: Path, dag_id: str):
    """The DAG object ``dag_id`` from the file of the same name in the dags folder."""
    from airflow.sdk import DAG

    if dag_id not in _modules:
        path = home / "dags" / f"{dag_id}.py"
        spec = importlib.util.spec_from_file_location(f"tl_dag_{dag_id}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[dag_id] = module
    found = [
        v for v in vars(_modules[dag_id]).values() if isinstance(v, DAG) and v.dag_id == dag_id
    ]
    if not found:
        raise LookupError(f"no DAG {dag_id!r} in {dag_id}.py")
    return found[0]


@pytest.fixture
def run_dag(airflow_home: Path):
    """Run a DAG with ``dag.test()`` in this process; returns the DagRun."""

    def run(dag_id: str, **conf: Any):
        return load_dag(airflow_home, dag_id).test(run_conf=conf or None)

    return run


def trackline_cli(*args: str) -> Any:
    """The ``trackline`` CLI's ``--json`` output, run in this process (same code, no startup)."""
    from click.testing import CliRunner

    from trackline.cli.main import cli as root

    result = CliRunner().invoke(root, [*args, "--json"], catch_exceptions=False)
    if result.exit_code != 0:
        raise AssertionError(
            f"trackline {' '.join(args)} failed ({result.exit_code}): {result.output}"
        )
    return json.loads(result.stdout)


@pytest.fixture
def cli():
    return trackline_cli
