"""The upload half of ``trackline sync``: drain the durable queue of the artifact store."""

from __future__ import annotations

from ..blobs import DrainResult, blob_store, queue_for
from ..config import settings
from .progress import byte_progress


def flush_uploads(quiet: bool = False) -> DrainResult:
    cfg = settings()
    if not (cfg.home / "uploads").is_dir():
        return DrainResult()  # nothing was ever queued here: don't even open the store
    store = blob_store(cfg)
    queue = queue_for(cfg, store)
    with byte_progress("sync uploads", None, quiet=quiet) as progress:
        return queue.drain(store, progress)
