"""``trackline reproduce RUN --check``: call the run's task function again on its materialised
inputs (untracked) and compare every output's digest with the recorded one."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..blobs.verify import Progress
from ..capture.artifacts import describe
from ..config import settings
from ..errors import BlobMissing, InvalidInput
from ..model.runs import TaskRun
from ..store import RunStore
from .reproduce import materialise_run

__all__ = ["CheckResult", "Difference", "check_run"]


@dataclass
class Difference:
    slot: str
    recorded: str | None
    got: str | None


@dataclass
class CheckResult:
    reproducible: bool
    compared: list[str]
    differences: list[Difference]
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"reproducible: no (the re-run failed: {self.error})"
        if self.reproducible:
            return f"reproducible: yes ({len(self.compared)} output(s) match by digest)"
        parts = [
            f"{d.slot}: recorded {(d.recorded or 'none')[:16]}, got {(d.got or 'none')[:16]}"
            for d in self.differences
        ]
        return "reproducible: no — " + "; ".join(parts)


def _load_function(run: TaskRun):
    code = run.code
    if code is None or not code.qualname:
        raise InvalidInput(f"run {run.id} recorded no function to re-run")
    if code.module and code.module != "__main__":
        try:
            module = importlib.import_module(code.module)
        except ImportError:
            module = None
    else:
        module = None
    if module is None:
        if not code.file or not Path(code.file).is_file():
            raise InvalidInput(f"cannot import {code.module} (file {code.file} is not there)")
        # A script's module: loaded under another name, so its ``__main__`` block does not run.
        spec = importlib.util.spec_from_file_location("trackline_reproduce_task", code.file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    obj: Any = module
    for part in code.qualname.split("."):
        if part == "<locals>":
            raise InvalidInput(f"{code.qualname} is a nested function; it cannot be imported")
        obj = getattr(obj, part)
    return inspect.unwrap(obj)  # the plain function: the re-run is not recorded as a new run


def _input_value(path: Path, fmt: str) -> Any:
    if fmt == "parquet":
        import pandas as pd

        return pd.read_parquet(path)
    if fmt == "npy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if fmt == "json":
        return json.loads(path.read_text())
    if fmt == "bytes":
        return path.read_bytes()
    if fmt == "pickle":
        import pickle

        with open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - the user's own recorded object
    return path


def check_run(
    ref: str, dest: str | Path, *, store: RunStore | None = None, progress: Progress | None = None
) -> CheckResult:
    """Materialise run ``ref`` into ``dest``, call its task function again on those inputs and
    compare every output's digest with the recorded one."""
    m = materialise_run(ref, dest, store=store, progress=progress)
    run = m.run
    if m.missing:
        raise BlobMissing(
            "cannot re-run: inputs were never kept: "
            + ", ".join(f"{k} ({v})" for k, v in m.missing.items())
        )
    func = _load_function(run)
    sig = inspect.signature(func)
    out_dir = m.dir / "outputs"
    shutil.rmtree(out_dir, ignore_errors=True)  # a fresh place for this re-run's outputs
    out_dir.mkdir()
    output_slots = {o.name: o for o in run.outputs}
    kwargs: dict[str, Any] = {}
    path_outputs: dict[str, Path] = {}
    for name in sig.parameters:
        if name in output_slots and isinstance(run.params.get(name), str):
            # A path the call wrote: written under outputs/ (starting from the recorded input
            # bytes when the call also read it), then compared.
            target = out_dir / Path(run.params[name]).name
            if name in m.inputs and m.inputs[name].is_file():
                shutil.copy2(m.inputs[name], target)
            elif name in m.inputs and m.inputs[name].is_dir():
                shutil.copytree(m.inputs[name], target, dirs_exist_ok=True)
            kwargs[name] = target
            path_outputs[name] = target
        elif name in m.inputs:
            kwargs[name] = _input_value(m.inputs[name], m.formats[name])
        elif name in run.params:
            kwargs[name] = run.params[name]
    cfg = settings()
    try:
        result = func(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the re-run's failure is the answer
        return CheckResult(False, [], [], error=f"{type(exc).__name__}: {exc}")
    got: dict[str, str] = {}
    if result is not None:
        got["return"] = describe(result, home=cfg.home, use_cache=False).digest
        if isinstance(result, (tuple, list, dict)):
            items = result.items() if isinstance(result, dict) else enumerate(result)
            for k, v in items:
                got[f"return.{k}"] = describe(v, home=cfg.home, use_cache=False).digest
    for name, path in path_outputs.items():
        got[name] = describe(path, home=cfg.home, use_cache=False).digest
    compared, diffs = [], []
    for slot, out in output_slots.items():
        if slot not in got:
            continue  # e.g. a model registered from inside the task: not a return value
        compared.append(slot)
        if got[slot] != out.digest:
            diffs.append(Difference(slot, out.digest, got[slot]))
    return CheckResult(not diffs and bool(compared), compared, diffs)
