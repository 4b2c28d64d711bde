"""Streaming copies that hash what passes through, so bytes are checked without a second read."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import BinaryIO

from ..errors import CorruptBlob

__all__ = ["CHUNK", "Progress", "HashingSink", "copy_hashed", "check"]

CHUNK = 1 << 20
Progress = Callable[[int], None]  # called with the number of bytes just moved


class HashingSink:
    """Wraps a writable file: every write is hashed and counted."""

    def __init__(self, fh: BinaryIO, progress: Progress | None = None) -> None:
        self.fh = fh
        self.h = hashlib.sha256()
        self.size = 0
        self.progress = progress

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.fh.write(data)
        self.size += len(data)
        if self.progress is not None:
            self.progress(len(data))
        return len(data)

    @property
    def digest(self) -> str:
        return self.h.hexdigest()


def copy_hashed(src: BinaryIO, sink: HashingSink) -> None:
    """Copy ``src`` into ``sink`` in 1 MiB chunks (memory stays bounded whatever the size)."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    readinto = getattr(src, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(buf)
            if not n:
                return
            sink.write(view[:n])
        else:
            data = src.read(CHUNK)
            if not data:
                return
            sink.write(data)


def check(expected: str, got: str, where: str, size: int | None = None, seen: int = 0) -> None:
    if size is not None and size != seen:
        raise CorruptBlob(f"{where}: expected {size} bytes, got {seen} (truncated or damaged)")
    if got != expected:
        raise CorruptBlob(
            f"{where}: content digest {got[:16]}… does not match {expected[:16]}… "
            "(the stored bytes are damaged; they were not returned)"
        )
