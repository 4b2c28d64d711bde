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
from stat import S_ISREG
from typing import Any

from ..model.canonical import canonical_json, sha256_bytes

__all__ = [
    "hash_file",
    "hash_directory",
    "hash_dataframe",
    "hash_array",
    "hash_pickle",
    "scan_tree",
    "FileInfo",
    "FileChanged",
    "directory_files",
    "hash_dataframe",
    "hash_array",
    "hash_pickle",
    "FileInfo",
]

_CHUNK = 1 << 20
_RETRIES = 3


class FileChanged(OSError):
    """A file's size or mtime changed while it was read: its digest would be of no one state."""


class NotAFile(OSError):
    """A FIFO, socket or device: no bytes that could be digested (reading would block or never
    end)."""


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

    def put_many(self, rows: list[tuple[str, str, dict]], home: Path) -> None:
        """Many entries in one transaction (a folder's files: one commit, not one each)."""
        for key, digest, extra in rows:
            self._mem[key] = (digest, extra)
        with self._lock:
            db = self._conn(home)
            if db is None:
                return
            try:
                db.execute("BEGIN")
                db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    [(k, d, json.dumps(e)) for k, d, e in rows],
                )
                db.execute("COMMIT")
            except sqlite3.Error:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass

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
    pending: list[tuple[str, str, dict]] | None = None,
) -> FileInfo:
    """Digest of a file's bytes, read in 1 MiB chunks. ``tabular`` also counts CSV lines.
    With ``pending``, the cache entry is appended there for the caller to write in a batch."""
    p = os.fspath(path)
    st = os.stat(p)
    if not S_ISREG(st.st_mode):  # opening a FIFO blocks; /dev/zero never ends
        raise NotAFile(f"{p} is not a regular file (a FIFO, socket or device has no bytes to hash)")
    key = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{os.path.abspath(p)}"
    if use_cache and home is not None:
        hit = _cache.get(key, home)
        if hit is not None:
            return FileInfo(hit[0], st.st_size, hit[1])
    for _ in range(_RETRIES):
        digest, newlines = _read_digest(p, tabular)
        after = os.stat(p)
        if (after.st_size, after.st_mtime_ns, after.st_ino) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_ino,
        ):
            break
        st = after  # written to while we read it: read again, a bounded number of times
    else:
        raise FileChanged(f"{p} kept changing while it was hashed ({_RETRIES} attempts)")
    key = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{os.path.abspath(p)}"
    extra = {"lines": newlines} if tabular else {}
    info = FileInfo(digest, st.st_size, extra)
    if use_cache and home is not None:
        if pending is not None:
            pending.append((key, info.digest, extra))
        else:
            _cache.put(key, info.digest, extra, home)
    return info


def _read_digest(p: str, tabular: bool) -> tuple[str, int]:
    h = hashlib.sha256()
    newlines = 0
    with open(p, "rb", buffering=0) as fh:
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            if tabular:
                newlines += buf.count(b"\n", 0, n)
    return h.hexdigest(), newlines


Entry = tuple[str, int, int, int, int]  # (relative POSIX path, dev, inode, size, mtime_ns)


def scan_tree(path: str | os.PathLike) -> tuple[list[Entry], int]:
    """Every regular file under ``path`` with its stat identity, sorted, and the number of
    entries that could not be read (broken links, permission errors). Symlinked directories are
    not followed, so a link loop cannot recurse forever; symlinked files are (by their target)."""
    root = os.fspath(path)
    entries: list[Entry] = []
    skipped = 0
    stack = [("", root)]
    while stack:
        rel, full = stack.pop()
        try:
            it = os.scandir(full)
        except OSError:
            skipped += 1
            continue
        prefix = rel + "/" if rel else ""
        with it:
            for e in it:
                try:
                    if e.is_dir(follow_symlinks=False):
                        stack.append((prefix + e.name, e.path))
                        continue
                    st = e.stat()  # follows a file symlink; a loop or dangling link raises
                except OSError:
                    skipped += 1
                    continue
                if S_ISREG(st.st_mode):
                    entries.append(
                        (prefix + e.name, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
                    )
    entries.sort()
    return entries, skipped


def _listing_key(root: str, entries: list[Entry]) -> str:
    h = hashlib.sha256(os.path.abspath(root).encode())
    h.update(repr(entries).encode())
    return "dir:" + h.hexdigest()


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
    path: str | os.PathLike,
    *,
    use_cache: bool = True,
    home: Path | None = None,
    listing: tuple[list[Entry], int] | None = None,
    manifest_limit: int | None = None,
) -> FileInfo:
    """Merkle digest: SHA-256 over sorted ``relative-path NUL file-digest`` lines.

    ``extra["manifest"]`` lists ``(path, digest, size)`` per file. A folder whose stat listing
    (every file's inode, size and mtime) is unchanged is not re-read: its digest and manifest
    come from the cache in one lookup, so re-observing a large unchanged folder costs one
    ``stat`` per file. Past ``manifest_limit`` files the manifest is not kept (only the count),
    so a huge folder costs no more memory than its digest."""
    root = os.fspath(path)
    entries, skipped = listing if listing is not None else scan_tree(root)
    key = _listing_key(root, entries)
    if use_cache and home is not None:
        hit = _cache.get(key, home)
        if hit is not None:
            extra = dict(hit[1])
            extra["manifest"] = [tuple(m) for m in extra.get("manifest") or []]
            return FileInfo(hit[0], int(extra.get("size", 0)), extra)
    lines: list[str] = []
    manifest: list[tuple[str, str, int]] = []
    total = 0
    pending: list[tuple[str, str, dict]] = []
    for rel, *_ in entries:
        try:
            info = hash_file(
                os.path.join(root, rel), use_cache=use_cache, home=home, pending=pending
            )
        except OSError:
            skipped += 1  # unreadable or kept changing: named in ``skipped``, not guessed
            continue
        total += info.size
        lines.append(f"{rel}\0{info.digest}\n")
        manifest.append((rel, info.digest, info.size))
    digest = sha256_bytes("".join(lines).encode())
    count = len(manifest)
    if manifest_limit is not None and count > manifest_limit:
        manifest = []
    extra = {"files": count, "skipped": skipped, "size": total, "manifest": manifest}
    if use_cache and home is not None:
        if not skipped:
            pending.append((key, digest, extra))
        _cache.put_many(pending, home)
    return FileInfo(digest, total, extra)


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
