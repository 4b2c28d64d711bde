"""The artifact store on any fsspec file system: local disk, S3, GCS, Azure...

Bytes are written once (skipped when present) and atomically: on a local file system into
``tmp/`` and renamed into place when whole and verified; on an object store straight to the
final key, because an object store makes a PUT (or a completed multipart upload) visible only
when it is whole — bytes whose digest turns out wrong are deleted at once, and every read
verifies again anyway. Reads are verified against the digest while they stream.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import BlobMissing
from .layout import blob_key, check_digest, doc_key
from .verify import HashingSink, Progress, check, copy_hashed

__all__ = ["FsBlobStore", "BlobWriter", "BlobInfo"]


class BlobInfo:
    __slots__ = ("digest", "size", "modified")

    def __init__(self, digest: str, size: int, modified: datetime | None) -> None:
        self.digest, self.size, self.modified = digest, size, modified


class BlobWriter:
    """Receives the bytes of one blob in pieces; ``commit()`` checks them and makes them
    visible, ``abort()`` throws them away. Used for local files and for server uploads alike."""

    def __init__(self, store: FsBlobStore, digest: str, size: int | None, progress=None) -> None:
        self.store, self.digest, self.expected_size = store, check_digest(digest), size
        self.final = store.path(blob_key(digest))
        self.target = store.path(f"tmp/{uuid.uuid4().hex}") if store.is_local else self.final
        store.fs.makedirs(self.target.rsplit("/", 1)[0], exist_ok=True)
        self.fh = store.fs.open(self.target, "wb")
        self.sink = HashingSink(self.fh, progress)

    def write(self, data: bytes) -> int:
        return self.sink.write(data)

    def commit(self) -> None:
        try:
            self.fh.close()
            check(
                self.digest,
                self.sink.digest,
                f"upload of {self.digest[:16]}…",
                self.expected_size,
                self.sink.size,
            )
        except BaseException:
            self.abort()
            raise
        if self.target != self.final:
            self.store.fs.makedirs(self.final.rsplit("/", 1)[0], exist_ok=True)
            self.store.fs.mv(self.target, self.final)

    def abort(self) -> None:
        with suppress(Exception):
            self.fh.close()
        with suppress(Exception):
            self.store.fs.rm(self.target)


class FsBlobStore:
    """Content-addressed bytes under one fsspec root."""

    def __init__(self, fs: Any, root: str, url: str) -> None:
        self.fs, self.root, self.url = fs, root.rstrip("/"), url
        protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        self.is_local = "file" in protocols or "local" in protocols

    def path(self, key: str) -> str:
        return f"{self.root}/{key}"

    def where(self, digest: str) -> str:
        """A human-readable location of a blob (for messages)."""
        return f"{self.url.rstrip('/')}/{blob_key(digest)}"

    # -- bytes ----------------------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return bool(self.fs.exists(self.path(blob_key(digest))))

    def size(self, digest: str) -> int:
        try:
            return int(self.fs.size(self.path(blob_key(digest))))
        except FileNotFoundError:
            raise BlobMissing(f"no bytes for {digest[:16]}… in {self.url}") from None

    def writer(self, digest: str, size: int | None = None, progress=None) -> BlobWriter:
        return BlobWriter(self, digest, size, progress)

    def put_stream(
        self,
        src: BinaryIO,
        digest: str,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> bool:
        """Store the bytes read from ``src`` as ``digest``; False when they were already there."""
        if self.has(digest):
            return False
        w = self.writer(digest, size, progress)
        try:
            copy_hashed(src, w.sink)
        except BaseException:
            w.abort()
            raise
        w.commit()
        return True

    def put_file(self, path: str | os.PathLike, digest: str, progress: Progress | None = None):
        if self.has(digest):
            return False
        with open(path, "rb", buffering=0) as fh:
            return self.put_stream(fh, digest, os.fstat(fh.fileno()).st_size, progress)

    def put_bytes(self, data: bytes, digest: str) -> bool:
        import io

        return self.put_stream(io.BytesIO(data), digest, len(data))

    def open_raw(self, digest: str) -> tuple[BinaryIO, int]:
        """The stored bytes as they are (unverified) and their size: for servers that stream
        them on; the receiver verifies."""
        key = self.path(blob_key(digest))
        try:
            size = int(self.fs.size(key))
            return self.fs.open(key, "rb"), size
        except FileNotFoundError:
            raise BlobMissing(f"no bytes for {digest[:16]}… in {self.url}") from None

    def get_file(self, digest: str, dest: str | os.PathLike, progress: Progress | None = None):
        """Write the bytes of ``digest`` to ``dest`` (atomically); raises ``CorruptBlob`` and
        leaves nothing at ``dest`` when the stored bytes do not match."""
        src, size = self.open_raw(digest)
        with src:
            return write_verified(src, digest, size, Path(dest), progress, self.where(digest))

    def delete(self, digest: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.rm(self.path(blob_key(digest)))

    def iter_blobs(self) -> Iterator[BlobInfo]:
        base = self.path("sha256")
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            name = path.rsplit("/", 1)[-1]
            if len(name) != 64:
                continue
            yield BlobInfo(name, int(info.get("size") or 0), _modified(info))

    def clean_tmp(self, older_than: datetime) -> int:
        """Remove uploads that were interrupted (a killed process leaves its ``tmp/`` file)."""
        removed = 0
        with suppress(FileNotFoundError):
            for path, info in self.fs.find(self.path("tmp"), detail=True).items():
                mod = _modified(info)
                if mod is not None and mod < older_than:
                    self.fs.rm(path)
                    removed += 1
        return removed

    # -- small JSON documents (artifact meta, pins) ---------------------------------------
    def get_doc(self, kind: str, name: str) -> dict | None:
        try:
            with self.fs.open(self.path(doc_key(kind, name)), "rb") as fh:
                return json.loads(fh.read())
        except FileNotFoundError:
            return None

    def put_doc(self, kind: str, name: str, doc: dict) -> None:
        key = self.path(doc_key(kind, name))
        data = json.dumps(doc, sort_keys=True).encode()
        self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
        if not self.is_local:
            self.fs.pipe_file(key, data)
            return
        tmp = self.path(f"tmp/{uuid.uuid4().hex}")
        self.fs.makedirs(tmp.rsplit("/", 1)[0], exist_ok=True)
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, key)

    def delete_doc(self, kind: str, name: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.rm(self.path(doc_key(kind, name)))

    def list_docs(self, kind: str) -> list[str]:
        try:
            found = self.fs.find(self.path(kind))
        except FileNotFoundError:
            return []
        return sorted(p.rsplit("/", 1)[-1].removesuffix(".json") for p in found)


def write_verified(
    src: BinaryIO,
    digest: str,
    size: int | None,
    dest: Path,
    progress: Progress | None,
    where: str,
) -> int:
    """Stream ``src`` into a temporary file beside ``dest``, verify, then rename into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(tmp, "wb") as fh:
            sink = HashingSink(fh, progress)
            copy_hashed(src, sink)
        check(digest, sink.digest, where, size, sink.size)
        os.replace(tmp, dest)
    except BaseException:
        with suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return sink.size


def _modified(info: dict) -> datetime | None:
    for key in ("mtime", "LastModified", "last_modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        with suppress(TypeError, ValueError):
            return datetime.fromtimestamp(float(value), UTC)
    return None
