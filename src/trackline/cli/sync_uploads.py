"""The upload half of ``trackline sync``: drain the durable queue of the artifact store."""

from __future__ import annotations

from ..blobs import DrainResult, blob_store, queue_for
from ..config import settings
from .progress import byte_progress


def flush_uploads(quiet: bool = False) -> DrainResult:
    cfg = settings()
    store = blob_store(cfg)
    queue = queue_for(cfg, store)
    if not queue.pending() and not queue.recover():
        return DrainResult()
    with byte_progress("sync uploads", None, quiet=quiet) as progress:
        return queue.drain(store, progress)
