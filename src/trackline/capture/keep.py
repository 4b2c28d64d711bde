"""What a tracked task keeps of its artifacts' bytes, and handing them to the upload queue.

Policy: ``TRACKLINE_KEEP`` (or ``@tracked_task(keep=...)``) is ``models`` (default: outputs of
kind model), ``outputs`` (every output with bytes), ``all`` (inputs too) or ``none``; nothing
larger than ``TRACKLINE_KEEP_MAX_BYTES`` is kept by policy. Registering a model keeps its bytes
whatever the policy (``keep_now``, synchronous).

Files and folders are queued by path (their digests are already known, so the task pays for
a small job file only); in-memory values are serialised — DataFrames as Parquet, arrays as
``.npy``, other objects as pickles — by the upload worker's thread, not the task's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..config import Settings, settings
from ..errors import InvalidInput
from ..model.canonical import canonical_json
from ..model.runs import Artifact
from . import hashing
from .artifacts import is_json_value
from .hashing import directory_files, hash_file

__all__ = ["KEEP_MODES", "check_keep", "wanted", "keep_run", "keep_now", "job_for"]

log = logging.getLogger("trackline")
KEEP_MODES = ("models", "outputs", "all", "none")
_NO_BYTES = {"uri", "opaque", "table"}


def check_keep(keep: str | None) -> str | None:
    if keep not in (None, *KEEP_MODES):
        raise ValueError(f"keep must be one of {', '.join(KEEP_MODES)}, not {keep!r}")
    return keep


def wanted(art: Artifact, direction: str, mode: str, max_bytes: int) -> bool:
    """Does the policy ``mode`` keep this artifact's bytes?"""
    if mode == "none" or art.kind in _NO_BYTES:
        return False
    if art.size_bytes is not None and art.size_bytes > max_bytes:
        return False
    if mode == "models":
        return direction == "output" and art.kind == "model"
    if mode == "outputs":
        return direction == "output"
    return True


def local_path(uri: str | None) -> Path | None:
    if not uri or not uri.startswith("file://"):
        return None
    return Path(unquote(urlparse(uri).path))


def job_for(art: Artifact, path: Path, *, home: Path | None, use_cache: bool) -> dict[str, Any]:
    """The upload job of a file or folder on disk (its manifest for a folder)."""
    if path.is_dir():
        files = directory_files(path, use_cache=use_cache, home=home)
        return {
            "artifact": art.digest,
            "kind": art.kind,
            "format": "directory",
            "path": str(path),
            "files": [[rel, info.digest] for rel, info in files],
        }
    return {"artifact": art.digest, "kind": art.kind, "format": "file", "path": str(path)}


def stage_value(art: Artifact, value: Any, staging: Path) -> dict[str, Any] | None:
    """Serialise an in-memory value to a file under ``staging``; its upload job."""
    staging.mkdir(parents=True, exist_ok=True)
    module, tname = type(value).__module__, type(value).__name__
    if module.startswith("pandas") and tname in ("DataFrame", "Series"):
        fmt, suffix = "parquet", ".parquet"
    elif module == "numpy" and tname == "ndarray":
        fmt, suffix = "npy", ".npy"
    elif isinstance(value, (bytes, bytearray, memoryview)):
        fmt, suffix = "bytes", ".bin"
    elif is_json_value(value):
        fmt, suffix = "json", ".json"
    elif isinstance(value, (list, tuple, dict)):
        return None  # a container: its elements are kept under their own slots
    else:
        fmt, suffix = "pickle", ".pkl"
    path = staging / f"{uuid.uuid4().hex}{suffix}"
    if fmt == "parquet":
        frame = value.to_frame() if tname == "Series" else value
        frame.to_parquet(path)
    elif fmt == "npy":
        import numpy as np

        np.save(path, value, allow_pickle=False)
    elif fmt == "bytes":
        path.write_bytes(bytes(value))
    elif fmt == "json":
        path.write_bytes(canonical_json(value).encode())
    else:
        try:
            with open(path, "wb") as fh:
                pickle.Pickler(fh, protocol=5).dump(value)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            # An object pickle cannot write (a local class, a lock) has no bytes to keep: its
            # record stays (lineage by its digest), its bytes cannot be fetched back.
            path.unlink(missing_ok=True)
            log.warning("trackline: %s cannot be kept (not picklable: %s)", art.digest[:16], exc)
            return None
    if not _unchanged(art, value, fmt, path):
        path.unlink(missing_ok=True)
        log.warning(
            "trackline: %s changed after the task returned it; its bytes were not kept",
            art.name or art.digest[:12],
        )
        return None
    blob = hash_file(path, use_cache=False).digest
    return {
        "artifact": art.digest,
        "kind": art.kind,
        "format": fmt,
        "path": str(path),
        "blob": blob,
        "staged": True,
    }


def _unchanged(art: Artifact, value: Any, fmt: str, path: Path) -> bool:
    """The value is serialised on the worker thread after the task returned: make sure the
    caller did not change it in between (the bytes must be those of the recorded digest)."""
    if fmt == "parquet":
        return hashing.hash_dataframe(value) == art.digest
    if fmt == "npy":
        return hashing.hash_array(value) == art.digest
    if fmt == "pickle":
        h = hashlib.sha256(b"pickle\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest() == art.digest
    return hash_file(path, use_cache=False).digest == art.digest  # bytes, json: same digest


def keep_run(rec: Any) -> int:
    """Queue the bytes the policy keeps of a finished run; returns how many were queued."""
    cfg: Settings = rec.config
    mode = getattr(rec, "keep", None) or cfg.keep
    if mode == "none":
        return 0
    refs = [("output", r) for r in rec.outputs]
    if mode == "all":
        refs += [("input", r) for r in rec.inputs]
    todo: list[tuple[Artifact, Any, Path | None]] = []
    seen: set[str] = set()
    for direction, ref in refs:
        art = rec.artifacts.get(ref.digest)
        if art is None or art.digest in seen:
            continue
        if not wanted(art, direction, mode, cfg.keep_max_bytes):
            continue
        seen.add(art.digest)
        path = local_path(art.uri)
        value = rec.values.get(art.digest) if hasattr(rec, "values") else None
        if path is not None and path.exists():
            todo.append((art, None, path))
        elif value is not None:
            todo.append((art, value, None))
    if not todo:
        return 0
    from ..blobs import staging_dir, uploader

    up = uploader(cfg)
    staging = staging_dir(cfg)
    for art, value, path in todo:
        if path is not None:
            up.submit(job_for(art, path, home=cfg.home, use_cache=cfg.hash_cache))
        else:
            up.submit_value(lambda a=art, v=value, s=staging: stage_value(a, v, s))
    return len(todo)


def keep_now(
    art: Artifact, value: Any = None, *, config: Settings | None = None, progress=None
) -> bool:
    """Store an artifact's bytes before returning (registering a model). Returns False when
    there are no bytes to keep (a URI-only artifact); raises when the store cannot take them."""
    from ..blobs import blob_store, deliver, describe_stored, staging_dir

    cfg = config or settings()
    store = blob_store(cfg)
    if art.kind in _NO_BYTES:
        return False
    if describe_stored(store, art.digest) is not None:
        return True
    path = local_path(art.uri)
    if path is not None and path.exists():
        job = job_for(art, path, home=cfg.home, use_cache=cfg.hash_cache)
    elif value is not None and not isinstance(value, (str, os.PathLike)):
        job = stage_value(art, value, staging_dir(cfg))
        if job is None:
            return False
    else:
        raise InvalidInput(
            f"the bytes of artifact {art.digest[:16]}… are neither in the artifact store "
            f"({store.url}) nor at {art.uri or 'a known path'}; register the file or the object "
            "itself"
        )
    try:
        deliver(store, job, progress)
    finally:
        if job.get("staged"):
            Path(job["path"]).unlink(missing_ok=True)
    return True
