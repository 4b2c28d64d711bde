"""The artifact store through a trackline team server (``TRACKLINE_STORE=http://…``).

Bytes stream both ways in 1 MiB pieces (never a whole file in memory). An upload sends its
``Content-Length`` and the server checks length and digest before the blob becomes visible; a
download is checked here against ``Content-Length`` and the digest while it streams. A transfer
that fails (connection lost, 5xx, damaged in transit) is retried from the start. Writers
upload; readers download (the server checks the token's role).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import requests

from .._version import __version__
from ..errors import (
    BlobMissing,
    CorruptBlob,
    PermissionDenied,
    StoreUnavailable,
    TracklineError,
    Unauthenticated,
    error_for_code,
)
from .layout import check_digest, doc_key
from .verify import CHUNK, Progress

__all__ = ["HttpBlobStore"]

_BY_STATUS: dict[int, type[TracklineError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: BlobMissing,
}


class _Body:
    """A file as a request body that reports progress (requests streams file-like bodies)."""

    def __init__(self, fh: BinaryIO, progress: Progress | None) -> None:
        self.fh, self.progress = fh, progress

    def read(self, n: int = CHUNK) -> bytes:
        data = self.fh.read(min(n if n and n > 0 else CHUNK, CHUNK))
        if data and self.progress is not None:
            self.progress(len(data))
        return data


class HttpBlobStore:
    is_local = False

    def __init__(
        self, base_url: str, token: str | None, timeout: float = 30.0, retries: int = 3
    ) -> None:
        self.url = base_url.rstrip("/")
        self.api = f"{self.url}/api/v1/blobs"
        self.timeout, self.retries = timeout, retries
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"trackline/{__version__}"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def where(self, digest: str) -> str:
        return f"{self.api}/{digest}"

    # -- transport ------------------------------------------------------------------------
    def _attempts(self) -> Iterator[int]:
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))  # backoff between retries
            yield attempt

    def _raise_for(self, resp: requests.Response, what: str) -> None:
        if resp.status_code < 400:
            return
        try:
            err = resp.json()["error"]
            cls, message = error_for_code(err["code"]), err["message"]
        except Exception:  # noqa: BLE001 - no body (HEAD), a proxy's page, a crash page
            cls = _BY_STATUS.get(resp.status_code, TracklineError)
            message = f"HTTP {resp.status_code}"
            if cls is Unauthenticated:
                message += " (send a token: TRACKLINE_TOKEN)"
        if resp.status_code in (502, 503, 504) and cls is TracklineError:
            cls = StoreUnavailable
        raise cls(f"{what}: {message}")

    def _retryable(self, exc: Exception) -> bool:
        """A transfer cut short (connection lost, truncated stream, 5xx) is tried again."""
        from urllib3.exceptions import ProtocolError, ReadTimeoutError

        return isinstance(
            exc,
            (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                ProtocolError,
                ReadTimeoutError,
                StoreUnavailable,
            ),
        )

    # -- bytes ----------------------------------------------------------------------------
    def has(self, digest: str) -> bool:
        resp = self._request("HEAD", f"{self.api}/{check_digest(digest)}")
        if resp.status_code == 404:
            return False
        self._raise_for(resp, f"checking {digest[:16]}…")
        return True

    def size(self, digest: str) -> int:
        resp = self._request("HEAD", f"{self.api}/{check_digest(digest)}")
        if resp.status_code == 404:
            raise BlobMissing(f"no bytes for {digest[:16]}… on {self.url}")
        self._raise_for(resp, f"checking {digest[:16]}…")
        return int(resp.headers.get("Content-Length", 0))

    def _request(self, method: str, url: str, **kw: Any) -> requests.Response:
        last: Exception | None = None
        for _ in self._attempts():
            try:
                resp = self.session.request(method, url, timeout=self.timeout, **kw)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
                continue
            if resp.status_code in (502, 503, 504):
                last = StoreUnavailable(f"{method} {url}: HTTP {resp.status_code}")
                continue
            return resp
        raise StoreUnavailable(f"{method} {url} failed: {last}") from last

    def put_file(
        self, path: str | os.PathLike, digest: str, progress: Progress | None = None
    ) -> bool:
        """Upload a file as ``digest`` (skipped when the server has it); retried from the start."""
        check_digest(digest)
        if self.has(digest):
            return False
        size = os.path.getsize(path)
        last: Exception | None = None
        for _ in self._attempts():
            try:
                with open(path, "rb") as fh:
                    resp = self.session.put(
                        f"{self.api}/{digest}",
                        data=_Body(fh, progress),
                        headers={
                            "Content-Length": str(size),
                            "Content-Type": "application/octet-stream",
                        },
                        timeout=self.timeout,
                    )
                self._raise_for(resp, f"uploading {digest[:16]}…")
                return resp.status_code == 201
            except Exception as exc:  # noqa: BLE001 - decide below
                if not self._retryable(exc):
                    raise
                last = exc
        raise StoreUnavailable(f"uploading {digest[:16]}… to {self.url} failed: {last}") from last

    def put_bytes(self, data: bytes, digest: str) -> bool:
        import tempfile

        with tempfile.NamedTemporaryFile() as tmp:
            tmp.write(data)
            tmp.flush()
            return self.put_file(tmp.name, digest)

    def get_file(
        self, digest: str, dest: str | os.PathLike, progress: Progress | None = None
    ) -> int:
        from .fsstore import write_verified

        check_digest(digest)
        last: Exception | None = None
        for _ in self._attempts():
            try:
                with self.session.get(
                    f"{self.api}/{digest}", stream=True, timeout=self.timeout
                ) as resp:
                    if resp.status_code == 404:
                        raise BlobMissing(f"no bytes for {digest[:16]}… on {self.url}")
                    self._raise_for(resp, f"downloading {digest[:16]}…")
                    length = resp.headers.get("Content-Length")
                    resp.raw.decode_content = True
                    return write_verified(
                        resp.raw,
                        digest,
                        int(length) if length is not None else None,
                        Path(dest),
                        progress,
                        self.where(digest),
                    )
            except CorruptBlob as exc:  # damaged in transit or at rest: one more try tells
                last = exc
            except Exception as exc:  # noqa: BLE001
                if not self._retryable(exc):
                    raise
                last = exc
        if isinstance(last, CorruptBlob):
            raise last
        raise StoreUnavailable(f"downloading {digest[:16]}… from {self.url} failed: {last}")

    def delete(self, digest: str) -> None:
        raise TracklineError(
            "blobs are deleted by `trackline artifacts gc` on the server host, not through the API"
        )

    def iter_blobs(self):
        raise TracklineError(
            "garbage collection runs where the bytes are: on the server host, with "
            "TRACKLINE_STORE set to the server's database and TRACKLINE_ARTIFACTS to its root"
        )

    # -- documents ------------------------------------------------------------------------
    def _doc_url(self, kind: str, name: str) -> str:
        doc_key(kind, name)  # validates
        return f"{self.api}/docs/{kind}/{quote(name, safe='')}"

    def get_doc(self, kind: str, name: str) -> dict | None:
        resp = self._request("GET", self._doc_url(kind, name))
        if resp.status_code == 404:
            return None
        self._raise_for(resp, f"reading {kind}/{name}")
        return resp.json()

    def put_doc(self, kind: str, name: str, doc: dict) -> None:
        resp = self._request("PUT", self._doc_url(kind, name), json=doc)
        self._raise_for(resp, f"writing {kind}/{name}")

    def delete_doc(self, kind: str, name: str) -> None:
        resp = self._request("DELETE", self._doc_url(kind, name))
        if resp.status_code != 404:
            self._raise_for(resp, f"deleting {kind}/{name}")

    def list_docs(self, kind: str) -> list[str]:
        resp = self._request("GET", f"{self.api}/docs/{kind}")
        self._raise_for(resp, f"listing {kind}")
        return list(resp.json())
