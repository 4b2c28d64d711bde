"""``trackline reproduce RUN --dir D``: everything a run needs, materialised into one folder, and
``--check``: run the task function again on those inputs and compare the outputs' digests.

The folder holds ``inputs/`` (each input slot's bytes from the artifact store), ``params.json``,
``requirements.txt`` pinned from the recorded environment (with the Python version),
``code.json`` (module, function, git commit and whether the tree was dirty, the module file's
digest), ``code/`` (the module file, when the file on disk still has the recorded digest) and a
``README.md`` with the commands.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..blobs import blob_store, describe_stored
from ..blobs.verify import Progress
from ..capture.artifacts import describe
from ..config import settings
from ..errors import BlobMissing, InvalidInput
from ..model.runs import TaskRun
from ..store import RunStore, get_store
from .fetch import fetch_resolved
from .refs import Resolved

__all__ = ["Materialised", "CheckResult", "materialise_run", "check_run"]


@dataclass
class Materialised:
    run: TaskRun
    dir: Path
    inputs: dict[str, Path] = field(default_factory=dict)  # slot → file or folder
    formats: dict[str, str] = field(default_factory=dict)  # slot → stored format
    missing: dict[str, str] = field(default_factory=dict)  # slot → why
    files: list[str] = field(default_factory=list)


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


def _requirements(run: TaskRun) -> str:
    env = run.environment
    if env is None:
        return "# no environment was recorded for this run\n"
    lines = [f"# Python {env.python} on {env.platform} (recorded by trackline)"]
    lines += [f"{name}=={version}" for name, version in sorted(env.packages.items())]
    return "\n".join(lines) + "\n"


def _code(run: TaskRun, dest: Path) -> dict[str, Any]:
    env = run.environment
    info: dict[str, Any] = {
        "module": run.code.module if run.code else None,
        "function": run.code.qualname if run.code else None,
        "file": run.code.file if run.code else None,
        "module_digest": run.code.module_digest if run.code else None,
        "code_digest": run.code_digest,
        "git_commit": env.git_commit if env else None,
        "git_branch": env.git_branch if env else None,
        "git_dirty": env.git_dirty if env else None,
        "source_copied": False,
    }
    # The module file is copied only when its bytes are still the recorded ones. (Storing the
    # function source with the run is separate work; when it lands, it is written here too.)
    if run.code and run.code.file and run.code.module_digest:
        src = Path(run.code.file)
        if src.is_file() and hashlib.sha256(src.read_bytes()).hexdigest() == (
            run.code.module_digest
        ):
            (dest / "code").mkdir(exist_ok=True)
            shutil.copy2(src, dest / "code" / src.name)
            info["source_copied"] = True
    return info


def _readme(run: TaskRun, m: Materialised, code: dict[str, Any]) -> str:
    py = run.environment.python if run.environment else "unknown"
    lines = [
        f"# Reproducing run {run.id}",
        "",
        f"Task `{run.name}` ({code['module']}.{code['function']}), recorded {run.started_at}.",
        f"Code: git commit {code['git_commit'] or 'unknown'}"
        + (" (the working tree had uncommitted changes)" if code["git_dirty"] else ""),
        "",
        f"1. Use Python {py} and install the pinned packages: `pip install -r requirements.txt`",
        f"2. Check out the code: `git checkout {code['git_commit'] or '<commit>'}`",
        f"3. Re-run and compare the outputs: `trackline reproduce {run.id} --dir . --check`",
        "",
        "Inputs (in `inputs/`): "
        + (", ".join(f"`{slot}` → {p.name}" for slot, p in m.inputs.items()) or "none"),
        "Parameters: `params.json`.",
    ]
    if m.missing:
        lines += ["", "Not available (never kept in the artifact store):"]
        lines += [f"- `{slot}`: {why}" for slot, why in m.missing.items()]
    return "\n".join(lines) + "\n"


def materialise_run(
    ref: str,
    dest: str | Path,
    *,
    store: RunStore | None = None,
    progress: Progress | None = None,
) -> Materialised:
    s = store or get_store()
    run = s.get_run(ref)
    d = Path(dest)
    d.mkdir(parents=True, exist_ok=True)
    (d / "inputs").mkdir(exist_ok=True)
    m = Materialised(run=run, dir=d)
    blobs = blob_store()
    for ref_ in run.inputs:
        try:
            art = s.get_artifact(ref_.digest)
        except Exception:  # noqa: BLE001 - an artifact known only by its edge
            from ..model.runs import Artifact

            art = Artifact(digest=ref_.digest, kind=ref_.kind, uri=ref_.uri)
        res = Resolved(art, f"input {ref_.name!r} of run {run.id}", ref_.name)
        meta = describe_stored(blobs, art.digest)
        if meta is None:
            m.missing[ref_.name] = f"last seen at {art.uri or 'no recorded location'}"
            continue
        target = d / "inputs" / _safe(ref_.name)
        shutil.rmtree(target, ignore_errors=True)  # our own folder: refreshed on every run
        target.mkdir()
        if meta["format"] == "directory":
            target = target / (Path(art.uri).name if art.uri else "data")
        path, meta = fetch_resolved(res, target, progress=progress, blobs=blobs)
        m.inputs[ref_.name] = path
        m.formats[ref_.name] = meta["format"]
    (d / "params.json").write_text(json.dumps(run.params, indent=2, sort_keys=True, default=str))
    (d / "requirements.txt").write_text(_requirements(run))
    code = _code(run, d)
    (d / "code.json").write_text(json.dumps(code, indent=2))
    (d / "README.md").write_text(_readme(run, m, code))
    (d / "inputs.json").write_text(
        json.dumps(
            {slot: {"path": str(p), "format": m.formats[slot]} for slot, p in m.inputs.items()},
            indent=2,
        )
    )
    m.files = ["params.json", "requirements.txt", "code.json", "README.md", "inputs.json"]
    return m


def _safe(slot: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in slot) or "slot"


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
