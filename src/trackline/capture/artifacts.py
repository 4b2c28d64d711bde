"""Turn any Python value into an ``Artifact`` record: its digest, kind, URI, size and schema.

Never raises into user code: a value nothing can hash becomes an "opaque" artifact named after
its type, with a unique digest so it cannot create false lineage.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model import canonical
from ..model.limits import json_problem
from ..model.runs import Artifact, ArtifactKind, ColumnInfo, FolderFile
from . import hashing

__all__ = [
    "describe",
    "describe_path",
    "register_hasher",
    "is_json_value",
    "json_size",
    "is_artifact_like",
    "MANIFEST_MAX_FILES",
]

# Folders with more files than this are recorded by digest and file count only.
MANIFEST_MAX_FILES = 20_000

Hasher = Callable[[Any], "Artifact | tuple[str, str]"]
_HASHERS: dict[type, Hasher] = {}

_TABULAR_SUFFIXES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
}
_DATASET_SUFFIXES = {
    ".jsonl",
    ".feather",
    ".arrow",
    ".npy",
    ".npz",
    ".h5",
    ".hdf5",
    ".avro",
    ".orc",
}
_MODEL_SUFFIXES = {
    ".pkl",
    ".pickle",
    ".joblib",
    ".onnx",
    ".pt",
    ".pth",
    ".safetensors",
    ".h5model",
    ".keras",
    ".ckpt",
    ".bin",
    ".gguf",
    ".xgb",
    ".lgb",
    ".cbm",
}


def register_hasher(cls: type, fn: Hasher) -> None:
    """Teach trackline a type: ``fn(obj)`` returns an ``Artifact`` or ``(digest, kind)``."""
    _HASHERS[cls] = fn


def is_json_value(value: Any, _depth: int = 0) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if _depth > 20:
        return False
    if isinstance(value, (list, tuple)):
        return all(is_json_value(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_value(v, _depth + 1) for k, v in value.items())
    return False


def json_size(value: Any) -> int:
    return len(canonical.canonical_json(value))


def _type_name(value: Any) -> str:
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}"


def _registered(value: Any) -> Hasher | None:
    for cls in type(value).__mro__:
        fn = _HASHERS.get(cls)
        if fn is not None:
            return fn
    return None


def _is_model(value: Any) -> bool:
    t = type(value)
    if callable(getattr(value, "fit", None)) and callable(getattr(value, "predict", None)):
        return True
    return any(
        c.__module__.startswith(("torch.nn", "keras", "tensorflow.keras")) for c in t.__mro__
    )


def is_artifact_like(value: Any) -> bool:
    """Data a container element is recorded for on its own: paths, frames, arrays, models,
    bytes and types with a registered hasher (not plain JSON values)."""
    if isinstance(value, (os.PathLike, bytes, bytearray)) or _registered(value) is not None:
        return True
    t = type(value)
    if t.__module__.startswith(("pandas", "pyarrow", "polars")) and t.__name__ in (
        "DataFrame",
        "Series",
        "Table",
        "LazyFrame",
    ):
        return True
    if t.__module__ == "numpy" and t.__name__ == "ndarray":
        return True
    return not is_json_value(value) and _is_model(value)


def describe(
    value: Any,
    *,
    kind: str | None = None,
    name: str | None = None,
    home: Path | None = None,
    use_cache: bool = True,
) -> Artifact:
    """The artifact record of ``value`` (files by content, frames by values, objects by pickle)."""
    try:
        art = _describe(value, home=home, use_cache=use_cache)
    except Exception:  # noqa: BLE001 - a value we cannot hash must not fail the user's task
        art = _opaque(value)
    if kind:
        art.kind = kind
    if name and not art.name:
        art.name = name
    return art


def _describe(value: Any, *, home: Path | None, use_cache: bool) -> Artifact:
    fn = _registered(value)
    if fn is not None:
        out = fn(value)
        if isinstance(out, Artifact):
            return out
        digest, kind = out
        return Artifact(digest=digest, kind=kind, name=None)
    if isinstance(value, os.PathLike):
        return describe_path(Path(value), home=home, use_cache=use_cache)
    module = type(value).__module__
    if module.startswith("pandas") and type(value).__name__ in ("DataFrame", "Series"):
        return _frame(value)
    if module == "numpy" and type(value).__name__ == "ndarray" and value.dtype != object:
        return Artifact(
            digest=hashing.hash_array(value),
            kind=ArtifactKind.DATASET,
            size_bytes=int(value.nbytes),
            rows=int(value.shape[0]) if value.ndim else None,
            media_type="application/x-numpy",
        )
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Artifact(
            digest=canonical.sha256_bytes(value),
            kind=ArtifactKind.BLOB,
            size_bytes=len(value),
            media_type="application/octet-stream",
        )
    if is_json_value(value):
        text = canonical.canonical_json(value)
        return Artifact(
            digest=canonical.sha256_bytes(text.encode()),
            kind=ArtifactKind.VALUE,
            size_bytes=len(text),
            media_type="application/json",
        )
    if isinstance(value, (list, tuple, dict)) and 0 < len(value) <= 1000:
        return _collection(value, home=home, use_cache=use_cache)
    digest, size = hashing.hash_pickle(value)
    kind = ArtifactKind.MODEL if _is_model(value) else ArtifactKind.OBJECT
    return Artifact(
        digest=digest,
        kind=kind,
        size_bytes=size,
        name=type(value).__name__,
        media_type="application/x-python-pickle",
    )


def describe_path(
    path: Path,
    *,
    home: Path | None = None,
    use_cache: bool = True,
    listing: tuple[list, int] | None = None,
) -> Artifact:
    """A file or folder by content. Raises ``OSError`` when the bytes cannot be read (callers
    that must not fail, like the recorder, catch it and say so)."""
    uri = path.resolve().as_uri()
    if path.is_dir():
        info = hashing.hash_directory(
            path,
            use_cache=use_cache,
            home=home,
            listing=listing,
            manifest_limit=MANIFEST_MAX_FILES,
        )
        manifest = info.extra.get("manifest") or []
        return Artifact(
            digest=info.digest,
            kind=ArtifactKind.DIRECTORY,
            uri=uri,
            size_bytes=info.size,
            file_count=int(info.extra.get("files", len(manifest))),
            # Bounded: past the limit the folder is still one digest, its files are not listed.
            files=[FolderFile(path=r, digest=d, size_bytes=n) for r, d, n in manifest] or None,
        )
    if not path.is_file():  # gone, or a FIFO, socket or device: known by its location only
        return Artifact(digest=canonical.hash_uri(uri), kind=ArtifactKind.URI, uri=uri)
    suffix = path.suffix.lower()
    tabular = suffix in _TABULAR_SUFFIXES
    info = hashing.hash_file(
        path, use_cache=use_cache, home=home, tabular=suffix in (".csv", ".tsv")
    )
    if tabular:
        kind = ArtifactKind.DATASET
    elif suffix in _DATASET_SUFFIXES:
        kind = ArtifactKind.DATASET
    elif suffix in _MODEL_SUFFIXES:
        kind = ArtifactKind.MODEL
    else:
        kind = ArtifactKind.FILE
    art = Artifact(
        digest=info.digest,
        kind=kind,
        uri=uri,
        size_bytes=info.size,
        media_type=_TABULAR_SUFFIXES.get(suffix),
    )
    if tabular:
        _file_schema(path, suffix, info, art)
    return art


def _file_schema(path: Path, suffix: str, info: hashing.FileInfo, art: Artifact) -> None:
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
            art.rows = meta.num_rows
            art.columns = [
                ColumnInfo(name=f.name, dtype=str(f.type)) for f in meta.schema.to_arrow_schema()
            ]
            return
        import pandas as pd

        head = pd.read_csv(path, nrows=1000, sep="\t" if suffix == ".tsv" else ",")
        art.columns = [ColumnInfo(name=str(c), dtype=str(t)) for c, t in head.dtypes.items()]
        lines = info.extra.get("lines")
        if lines is not None:
            art.rows = max(lines - 1, 0)
    except Exception:  # noqa: BLE001 - schema is a bonus; the digest is what matters
        return
    finally:
        _profile(art, path=path)


def _profile(art: Artifact, value: Any = None, path: Path | None = None) -> None:
    """Attach a data profile (for drift checks); never fails the describe."""
    try:
        from ..config import settings
        from ..profiles.profile import profile_artifact
        from .context import RUN

        cfg = settings()
        # A task may choose its own mode (``@tracked_task(profile=...)``); else the global one.
        mode = getattr(RUN.get(), "profile", None) or cfg.profile
        profile_artifact(art, mode, cfg.profile_sample_rows, value=value, path=path)
    except Exception:  # noqa: BLE001 - a profile is a bonus, like the schema
        return
    bad = json_problem(art.profile) if art.profile is not None else None
    if bad:  # values past float range (1e160 squared), a huge profile: the run keeps the rest
        logging.getLogger("trackline").warning(
            "trackline: %s is recorded without its data profile, which %s",
            art.name or art.digest[:12],
            bad,
        )
        art.profile = None


def _frame(value: Any) -> Artifact:
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        columns = [ColumnInfo(name=str(c), dtype=str(t)) for c, t in value.dtypes.items()]
    else:
        columns = [ColumnInfo(name=str(value.name), dtype=str(value.dtype))]
    try:
        digest = hashing.hash_dataframe(value)
    except TypeError:  # unhashable cells (lists, dicts): fall back to the pickle bytes
        digest, _ = hashing.hash_pickle(value)
    art = Artifact(
        digest=digest,
        kind=ArtifactKind.DATASET,
        rows=len(value),
        columns=columns,
        size_bytes=int(value.memory_usage(deep=False).sum())
        if hasattr(value, "memory_usage")
        else None,
        media_type="application/x-pandas",
    )
    _profile(art, value=value)
    return art


def _collection(value: Any, *, home: Path | None, use_cache: bool) -> Artifact:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    lines = [f"{k}\0{describe(v, home=home, use_cache=use_cache).digest}\n" for k, v in items]
    return Artifact(
        digest=canonical.sha256_bytes(("collection\0" + "".join(lines)).encode()),
        kind=ArtifactKind.OBJECT,
        name=type(value).__name__,
    )


def _opaque(value: Any) -> Artifact:
    return Artifact(
        digest=canonical.sha256_bytes(f"opaque\0{uuid.uuid4()}".encode()),
        kind=ArtifactKind.OPAQUE,
        name=_type_name(value),
    )
