"""Canonical JSON and SHA-256 digests of values: one spelling, so equal values get equal digests.

Used wherever a digest is an identity (artifacts, policies, audit entries, orchestrator ids).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["sha256_bytes", "canonical_json", "hash_json", "hash_uri", "manifest_bytes"]


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


# What json.dumps(value, **these options) does, without building an encoder on every call
# (half the cost of encoding a small value: every tracked call digests its output).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
).encode


def canonical_json(value: Any) -> str:
    return _CANONICAL(value)


def hash_json(value: Any) -> str:
    return sha256_bytes(canonical_json(value).encode())


def hash_uri(uri: str) -> str:
    return sha256_bytes(b"uri\0" + uri.encode())


def manifest_bytes(files: list[tuple[str, str]]) -> bytes:
    """A folder's manifest: sorted ``relative-path NUL file-digest`` lines. The folder's digest
    is the SHA-256 of these bytes, and the artifact store keeps them as the folder's blob."""
    return "".join(sorted(f"{rel}\0{digest}\n" for rel, digest in files)).encode()
