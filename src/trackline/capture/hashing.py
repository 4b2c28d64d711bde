"""Content digests (SHA-256, hex): streamed files, Merkle directories, vectorised frames and arrays.

Unchanged files are not re-read: a cache keyed by (device, inode, size, mtime) — in memory and
in a small SQLite file under the trackline home, shared by every process — remembers digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..model.canonical import canonical_json, manifest_bytes, sha256_bytes

__all__ = [
    "hash_file",
    "hash_directory",
    "directory_files",
    "hash_dataframe",
    "hash_array",
    "hash_pickle",
    "FileInfo",
]

_CHUNK = 1 << 20


class FileInfo:
    __slots__ = ("digest", "size", "extra")

    def __init__(self, digest: str, size: int, extra: dict | None = None) -> None:
        self.digest, self.size, self.extra = digest, size, extra or {}


class _HashCache:
    """(dev, inode, size, mtime_ns, path) → digest; best effort, never an error for the caller."""

    def __init__(self) -> None:
        self._mem: dict[str, tuple[str, dict]] = {}
        self._db: sqlite3.Connection | None = None
        self._db_path: Path | None = None
        self._lock = threading.Lock()

    def _conn(self, home: Path) -> sqlite3.Connection | None:
        path = home / "hashcache.db"
        if self._db is None or self._db_path != path or getattr(self, "_pid", None) != os.getpid():
            try:
                home.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=5, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS files"
                    " (key TEXT PRIMARY KEY, digest TEXT, extra TEXT)"
                )
                self._db, self._db_path, self._pid = db, path, os.getpid()
            except sqlite3.Error:
                return None
        return self._db

    def get(self, key: str, home: Path) -> tuple[str, dict] | None:
        hit = self._mem.get(key)
        if hit is not None:
            return hit
        with self._lock:
            db = self._conn(home)
            if db is None:
                return None
            try:
                row = db.execute("SELECT digest, extra FROM files WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        hit = (row[0], json.loads(row[1] or "{}"))
        self._mem[key] = hit
        return hit

    def put(self, key: str, digest: str, extra: dict, home: Path) -> None:
        self._mem[key] = (digest, extra)
        with self._lock:
            db = self._conn(home)
            if db is None:
                return
            try:
                db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    (key, digest, json.dumps(extra)),
                )
            except sqlite3.Error:
                pass


_cache = _HashCache()


def hash_file(
    path: str | os.PathLike,
    *,
    use_cache: bool = True,
    home: Path | None = None,
    tabular: bool = False,
) -> FileInfo:
    """Digest of a file's bytes, read in 1 MiB chunks. ``tabular`` also counts CSV lines."""
    p = os.fspath(path)
    st = os.stat(p)
    key = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{os.path.abspath(p)}"
    if use_cache and home is not None:
        hit = _cache.get(key, home)
        if hit is not None:
            return FileInfo(hit[0], st.st_size, hit[1])
    h = hashlib.sha256()
    newlines = 0
    with open(p, "rb", buffering=0) as fh:
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            if tabular:
                newlines += buf.count(b"\n", 0, n)
    extra = {"lines": newlines} if tabular else {}
    info = FileInfo(h.hexdigest(), st.st_size, extra)
    if use_cache and home is not None:
        _cache.put(key, info.digest, extra, home)
    return info


def directory_files(
    path: str | os.PathLike, *, use_cache: bool = True, home: Path | None = None
) -> list[tuple[str, FileInfo]]:
    """The folder's files as sorted ``(relative path, FileInfo)``: its manifest."""
    root = os.fspath(path)
    found: list[tuple[str, FileInfo]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full):
                continue
            info = hash_file(full, use_cache=use_cache, home=home)
            found.append((os.path.relpath(full, root), info))
    found.sort(key=lambda item: f"{item[0]}\0{item[1].digest}\n")  # the manifest's order
    return found


def hash_directory(
    path: str | os.PathLike, *, use_cache: bool = True, home: Path | None = None
) -> FileInfo:
    """Merkle digest: SHA-256 over sorted ``relative-path NUL file-digest`` lines."""
    files = directory_files(path, use_cache=use_cache, home=home)
    total = sum(info.size for _, info in files)
    manifest = manifest_bytes([(rel, info.digest) for rel, info in files])
    return FileInfo(sha256_bytes(manifest), total, {"files": len(files)})


def hash_dataframe(obj: Any) -> str:
    """Vectorised: pandas' per-row uint64 hashes plus column names and dtypes, then SHA-256."""
    import pandas as pd

    h = hashlib.sha256(b"pandas\0")
    if isinstance(obj, pd.DataFrame):
        h.update(canonical_json([[str(c), str(t)] for c, t in obj.dtypes.items()]).encode())
    else:
        h.update(canonical_json([str(obj.name), str(obj.dtype)]).encode())
    h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
    return h.hexdigest()


def hash_array(arr: Any) -> str:
    import numpy as np

    h = hashlib.sha256(b"ndarray\0")
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(memoryview(np.ascontiguousarray(arr)).cast("B"))
    return h.hexdigest()


class _HashWriter:
    """A file-like sink so pickling streams into the hash instead of into memory."""

    def __init__(self) -> None:
        self.h = hashlib.sha256(b"pickle\0")
        self.size = 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.size += len(data)
        return len(data)


def hash_pickle(obj: Any) -> tuple[str, int]:
    sink = _HashWriter()
    pickle.Pickler(sink, protocol=5).dump(obj)
    return sink.h.hexdigest(), sink.size
