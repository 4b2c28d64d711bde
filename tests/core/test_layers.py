"""The import contracts of the floor plan hold, and a wrong-way import breaks them readably."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(root / "src"), "PATH": str(LINT.parent)}
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_tree_keeps_its_layers():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_a_store_importing_the_registry_is_refused(tmp_path):
    copy = _copy(tmp_path)
    target = copy / "src" / "trackline" / "store" / "noop.py"
    target.write_text(target.read_text() + "\nfrom ..registry import models  # noqa\n")
    done = _lint(copy)
    assert done.returncode == 1
    assert "BROKEN" in done.stdout
    assert "trackline.store.noop -> trackline.registry.models" in done.stdout


def test_the_core_importing_an_adapter_is_refused(tmp_path):
    copy = _copy(tmp_path)
    target = copy / "src" / "trackline" / "monitoring" / "triggers" / "actions.py"
    target.write_text(
        target.read_text() + "\nfrom ...integrations.airflow import trigger  # noqa\n"
    )
    done = _lint(copy)
    assert done.returncode == 1
    assert "Only the adapters import Airflow and Prefect BROKEN" in done.stdout
