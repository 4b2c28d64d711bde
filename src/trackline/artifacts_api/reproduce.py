"""``trackline reproduce RUN --dir D``: everything a run needs, materialised into one folder, and
``--check``: run the task function again on those inputs and compare the outputs' digests.

The folder holds ``inputs/`` (each input slot's bytes from the artifact store), ``params.json``,
``requirements.txt`` pinned from the recorded environment (with the Python version),
``code.json`` (module, function, git commit and whether the tree was dirty, the module file's
digest), ``code/`` (the module file, when the file on disk still has the recorded digest) and a
``README.md`` with the commands. Re-running and comparing is ``recheck.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..blobs import blob_store, describe_stored
from ..blobs.verify import Progress
from ..model.runs import TaskRun
from ..store import RunStore, get_store
from .fetch import fetch_resolved
from .refs import Resolved

__all__ = ["Materialised", "materialise_run"]


@dataclass
class Materialised:
    run: TaskRun
    dir: Path
    inputs: dict[str, Path] = field(default_factory=dict)  # slot → file or folder
    formats: dict[str, str] = field(default_factory=dict)  # slot → stored format
    missing: dict[str, str] = field(default_factory=dict)  # slot → why
    files: list[str] = field(default_factory=list)


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
