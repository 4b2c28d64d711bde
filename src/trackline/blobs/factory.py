"""Open an artifact store by URL: a folder or ``file://``, any fsspec scheme (``s3://``,
``gs://``, ``abfs://``…), or a trackline server (``http(s)://``), with an install hint when the
scheme's package is missing.

Object-store credentials and endpoints come from the usual places of each package (for S3:
``AWS_*`` variables, ``~/.aws``; fsspec's ``FSSPEC_S3_ENDPOINT_URL`` for an S3-compatible
server) or from ``options``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..config import Settings, settings
from ..errors import ConfigError

__all__ = ["open_blobs", "blob_store"]

_HINTS = {
    "s3": "s3fs (pip install 'trackline[s3]')",
    "s3a": "s3fs (pip install 'trackline[s3]')",
    "gs": "gcsfs (pip install gcsfs)",
    "gcs": "gcsfs (pip install gcsfs)",
    "abfs": "adlfs (pip install adlfs)",
    "az": "adlfs (pip install adlfs)",
}
# Listings of an object store go stale when other processes write: ask the store each time.
_NO_LISTING_CACHE = {"s3", "s3a", "gs", "gcs", "abfs", "az"}

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()


def open_blobs(url: str, *, token: str | None = None, **options: Any):
    """An artifact store for ``url`` (``FsBlobStore`` or, for a server, ``HttpBlobStore``)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    if scheme in ("http", "https"):
        from .httpstore import HttpBlobStore

        cfg = settings()
        return HttpBlobStore(url, token, timeout=cfg.http_timeout, retries=cfg.http_retries)
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError:  # pragma: no cover - fsspec is a dependency
        raise ConfigError("the artifact store needs fsspec: pip install fsspec") from None
    if scheme in _NO_LISTING_CACHE:
        options.setdefault("use_listings_cache", False)
    try:
        fsspec.get_filesystem_class(scheme)
        fs, root = url_to_fs(url, **options)
    except (ImportError, ValueError) as exc:
        need = _HINTS.get(scheme, f"the fsspec implementation of {scheme!r}")
        raise ConfigError(
            f"TRACKLINE_ARTIFACTS={url!r} needs {need}; it is not installed ({exc})"
        ) from None
    from .fsstore import FsBlobStore

    if scheme == "file":
        fs.makedirs(root, exist_ok=True)
    return FsBlobStore(fs, root, url)


def blob_store(config: Settings | None = None):
    """The artifact store of the current settings: ``TRACKLINE_ARTIFACTS`` if set; else the team
    server when the store is one; else ``$TRACKLINE_HOME/artifacts``."""
    cfg = config or settings()
    if cfg.artifacts:
        url = cfg.artifacts
    elif cfg.store_url.split(":", 1)[0].lower() in ("http", "https"):
        url = cfg.store_url
    else:
        url = cfg.artifacts_url
    remote = url.split(":", 1)[0].lower() in ("http", "https")
    token = cfg.token.get_secret_value() if cfg.token and remote else None
    key = (url, token)
    found = _cache.get(key)
    if found is None:
        with _lock:
            found = _cache.get(key)
            if found is None:
                found = _cache[key] = open_blobs(url, token=token)
    return found
