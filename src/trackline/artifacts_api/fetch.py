"""Getting bytes back: an artifact (by any reference) written to a path, verified by digest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..blobs import SUFFIX, blob_store, describe_stored, materialize
from ..blobs.verify import Progress
from ..config import settings
from ..errors import BlobMissing
from ..store import RunStore
from .refs import Resolved, resolve_ref

__all__ = ["fetch_artifact", "load_dataframe", "fetch_resolved", "default_name"]


def default_name(res: Resolved, meta: dict) -> str:
    """The file name to write: the artifact's own file name when it had one, else its digest."""
    art = res.artifact
    if art.uri and art.uri.startswith("file://"):
        name = art.uri.rstrip("/").rsplit("/", 1)[-1]
        if name:
            return name
    return art.digest[:16] + SUFFIX.get(meta.get("format", ""), "")


def _missing(res: Resolved, blobs: Any) -> BlobMissing:
    # "Where the bytes were last seen": the artifact's recorded location for now; the lineage
    # work on locations (every digest/location/run observation) will list them all.
    seen = res.artifact.uri or "no location was ever recorded"
    return BlobMissing(
        f"{res.label}: the artifact store ({blobs.url}) has no bytes for "
        f"{res.artifact.digest}; last seen at: {seen}"
    )


def fetch_resolved(
    res: Resolved,
    path: str | os.PathLike | None = None,
    *,
    progress: Progress | None = None,
    blobs: Any = None,
) -> tuple[Path, dict]:
    blobs = blobs or blob_store()
    meta = describe_stored(blobs, res.artifact.digest)
    if meta is None:
        raise _missing(res, blobs)
    if path is None:
        # The cache under the home is ours: fetched again (and verified again) every time.
        cache = settings().home / "fetched" / res.artifact.digest
        shutil.rmtree(cache, ignore_errors=True)
        dest = cache / default_name(res, meta)
    else:
        dest = Path(path)
        if dest.is_dir():  # an existing folder: write into it, never over it
            dest = dest / default_name(res, meta)
    return materialize(blobs, res.artifact.digest, dest, progress)


def fetch_artifact(
    ref: str,
    path: str | os.PathLike | None = None,
    *,
    store: RunStore | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the bytes of ``ref`` (digest or prefix, ``MODEL@ALIAS``, ``MODEL/VERSION``,
    ``RUN/SLOT``) to ``path`` (default: a cache folder under the trackline home) and return it.

    The bytes are checked against their digest while written: damaged bytes raise
    ``CorruptBlob`` and leave nothing behind; bytes that were never kept raise ``BlobMissing``
    naming where they were last seen.
    """
    dest, _ = fetch_resolved(resolve_ref(ref, store), path, progress=progress)
    return dest


def load_dataframe(ref: str, *, store: RunStore | None = None):
    """The DataFrame behind ``ref``: kept frames (Parquet), or a kept CSV/Parquet/JSONL file."""
    import pandas as pd

    res = resolve_ref(ref, store)
    path, meta = fetch_resolved(res)
    fmt = meta.get("format")
    suffix = Path(res.artifact.uri or "").suffix.lower()
    if fmt == "parquet" or suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".tsv":
        return pd.read_csv(path, sep="\t")
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    if fmt == "pickle":
        return pd.read_pickle(path)
    raise ValueError(f"{res.label} is not a table trackline can load (format {fmt!r})")
