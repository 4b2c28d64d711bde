"""From an artifact digest back to bytes on disk: a file, a folder rebuilt from its manifest,
or a serialised value (Parquet, pickle, .npy). Every blob is verified while it is written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import BlobMissing, CorruptBlob, InvalidInput
from .layout import check_digest
from .verify import Progress

__all__ = ["describe_stored", "materialize", "blobs_of", "SUFFIX", "parse_manifest"]

SUFFIX = {"parquet": ".parquet", "pickle": ".pkl", "npy": ".npy", "json": ".json"}


def describe_stored(store: Any, digest: str) -> dict | None:
    """``{"format", "blob"}`` of a stored artifact, or None when its bytes are not stored."""
    check_digest(digest)
    meta = store.get_doc("meta", digest)
    if meta is not None:
        return meta
    if store.has(digest):
        return {"format": "file", "blob": digest}
    return None


def parse_manifest(data: bytes) -> list[tuple[str, str]]:
    out = []
    for line in data.decode().splitlines():
        rel, _, digest = line.partition("\0")
        check_digest(digest)
        if rel.startswith(("/", "\\")) or ".." in Path(rel).parts:
            raise CorruptBlob(f"manifest entry {rel!r} points outside its folder")
        out.append((rel, digest))
    return out


def _manifest(store: Any, digest: str, scratch: Path) -> list[tuple[str, str]]:
    tmp = scratch / f".manifest-{digest[:16]}"
    store.get_file(digest, tmp)
    try:
        return parse_manifest(tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)


def materialize(
    store: Any, digest: str, dest: Path, progress: Progress | None = None
) -> tuple[Path, dict]:
    """Write artifact ``digest`` to ``dest`` (a file, or a folder for a directory artifact).

    Raises ``BlobMissing`` when the store has no bytes for it and ``CorruptBlob`` (leaving no
    partial result behind) when stored bytes do not match their digest."""
    meta = describe_stored(store, digest)
    if meta is None:
        raise BlobMissing(f"the artifact store {store.url} has no bytes for {digest}")
    dest = Path(dest)
    if meta["format"] == "directory":
        if dest.exists():
            raise InvalidInput(f"{dest} already exists; not replacing it with a folder")
        staging = dest.with_name(f".{dest.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            for rel, file_digest in _manifest(store, digest, staging):
                store.get_file(file_digest, staging / rel, progress)
            os.replace(staging, dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return dest, meta
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder; give a file path")
    store.get_file(meta["blob"], dest, progress)
    return dest, meta


def blobs_of(store: Any, digest: str) -> set[str]:
    """Every blob digest the bytes of artifact ``digest`` consist of (for garbage collection)."""
    meta = describe_stored(store, digest)
    if meta is None:
        return set()
    out = {meta["blob"], digest}
    if meta["format"] == "directory":
        import tempfile

        # An unreadable manifest raises: garbage collection must never guess what it protects.
        with tempfile.TemporaryDirectory() as scratch:
            out.update(d for _, d in _manifest(store, digest, Path(scratch)))
    return out
