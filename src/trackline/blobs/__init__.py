"""Artifact bytes: a content-addressed, verified store on any fsspec URL (or through the team
server: ``blobs.httpstore``), and the durable queue that uploads to it off the task's hot path.

This is a store-layer package: it knows digests and bytes, never runs or models.
"""

from .factory import blob_store, open_blobs
from .fsstore import BlobInfo, FsBlobStore
from .layout import blob_key, check_digest
from .materialize import SUFFIX, blobs_of, describe_stored, materialize
from .queue import FORMATS, DrainResult, UploadQueue, deliver
from .verify import Progress
from .worker import Uploader, queue_for, staging_dir, uploader

__all__ = [
    "BlobInfo",
    "DrainResult",
    "FORMATS",
    "FsBlobStore",
    "Progress",
    "SUFFIX",
    "UploadQueue",
    "Uploader",
    "blob_key",
    "blob_store",
    "blobs_of",
    "check_digest",
    "deliver",
    "describe_stored",
    "materialize",
    "open_blobs",
    "queue_for",
    "staging_dir",
    "uploader",
]
