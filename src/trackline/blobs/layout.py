"""Where things live inside an artifact store, by digest.

``sha256/ab/cd/<digest>``  the bytes (a file, a folder's manifest, a frame's Parquet, a pickle)
``meta/ab/<digest>.json``  how an artifact maps to bytes when it is not a plain file
``pins/<run id>.json``     runs whose bytes garbage collection keeps
``tmp/<random>``           uploads in progress on a file system (renamed into place when whole)
"""

from __future__ import annotations

import re

from ..errors import InvalidInput

__all__ = ["blob_key", "doc_key", "check_digest", "DOC_KINDS"]

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")
DOC_KINDS = ("meta", "pins")


def check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise InvalidInput(f"not a SHA-256 hex digest: {digest!r}")
    return digest


def blob_key(digest: str) -> str:
    d = check_digest(digest)
    return f"sha256/{d[:2]}/{d[2:4]}/{d}"


def doc_key(kind: str, name: str) -> str:
    if kind not in DOC_KINDS:
        raise InvalidInput(f"unknown document kind {kind!r}")
    if not _NAME.match(name) or name.startswith("."):
        raise InvalidInput(f"invalid document name {name!r}")
    if kind == "meta":
        check_digest(name)
        return f"meta/{name[:2]}/{name}.json"
    return f"{kind}/{name}.json"
