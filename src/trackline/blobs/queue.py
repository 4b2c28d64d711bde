"""The durable upload queue: one JSON file per upload job, with the spool's guarantees.

A job is written to a temporary name, fsynced and renamed into place, so a process killed while
queueing leaves nothing half-written. A worker claims a job by renaming it to
``.claim-<pid>-<name>`` before it uploads; a claim whose process is gone (killed mid-upload) is
put back on the next drain. Uploads are content-addressed, skip bytes already present and become
visible atomically, so a job redone after a crash still yields exactly one blob, and the job is
removed exactly once, after its bytes are stored.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CorruptBlob
from ..model.canonical import manifest_bytes
from .layout import check_digest
from .verify import Progress

__all__ = ["UploadQueue", "DrainResult", "deliver", "FORMATS"]

log = logging.getLogger("trackline.blobs")

# How an artifact's bytes are stored: "file" (the blob is the artifact's own bytes), "directory"
# (a manifest blob plus one blob per file), "parquet"/"pickle"/"npy" (an in-memory value
# serialised; its blob digest differs from the artifact digest, so a meta document maps them).
FORMATS = ("file", "directory", "parquet", "pickle", "npy", "json", "bytes")


@dataclass
class DrainResult:
    delivered: int = 0
    remaining: int = 0
    bytes: int = 0
    dropped: list[str] = field(default_factory=list)
    error: str | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class UploadQueue:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def put(self, job: dict[str, Any]) -> Path:
        check_digest(job["artifact"])
        if job.get("format") not in FORMATS:
            raise ValueError(f"unknown upload format {job.get('format')!r}")
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{job['artifact'][:16]}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.path / f".tmp-{name}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(job, fh)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.path / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        try:
            names = [
                e.path
                for e in os.scandir(self.path)
                if e.name.endswith(".json") and not e.name.startswith(".")
            ]
        except FileNotFoundError:
            return []
        return sorted(Path(n) for n in names)

    def recover(self) -> int:
        """Put back jobs claimed by processes that no longer exist (killed mid-upload)."""
        back = 0
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError:
            return 0
        for e in entries:
            if not e.name.startswith(".claim-"):
                continue
            _, pid, original = e.name.split("-", 2)
            if pid.isdigit() and not _alive(int(pid)):
                try:
                    os.replace(e.path, self.path / original)
                    back += 1
                except FileNotFoundError:
                    pass
        return back

    def drain(
        self,
        store: Any,
        progress: Progress | None = None,
        on_job: Callable[[dict], None] | None = None,
    ) -> DrainResult:
        """Deliver every queued job to ``store`` (oldest first); stop at the first job the
        store cannot take (it stays queued). Bytes that changed before they could be uploaded
        are dropped with a warning: they no longer exist anywhere to upload."""
        self.recover()
        result = DrainResult()
        for path in self.pending():
            claimed = path.with_name(f".claim-{os.getpid()}-{path.name}")
            try:
                os.replace(path, claimed)
            except FileNotFoundError:
                continue  # another worker has it
            try:
                with open(claimed, encoding="utf-8") as fh:
                    job = json.load(fh)
                if on_job is not None:
                    on_job(job)
                result.bytes += deliver(store, job, progress)
            except (CorruptBlob, FileNotFoundError, ValueError, KeyError) as exc:
                # The bytes changed or vanished before the upload (or the job is unreadable):
                # nothing left to upload. Kept aside, never silently lost.
                bad = self.path / "dropped"
                bad.mkdir(exist_ok=True)
                os.replace(claimed, bad / path.name)
                result.dropped.append(f"{path.name}: {exc}")
                log.warning("trackline: upload %s dropped: %s", path.name, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - store unreachable: keep the job queued
                os.replace(claimed, path)
                result.error = f"{type(exc).__name__}: {exc}"
                break
            claimed.unlink()
            result.delivered += 1
        result.remaining = len(self.pending())
        return result


def deliver(store: Any, job: dict[str, Any], progress: Progress | None = None) -> int:
    """Store one job's bytes; returns the number of bytes sent (0 when all were present)."""
    artifact, fmt = job["artifact"], job["format"]
    sent = 0
    if fmt == "directory":
        root = Path(job["path"])
        for rel, digest in job["files"]:
            sent += _put(store, root / rel, digest, progress)
        manifest = manifest_bytes([(rel, digest) for rel, digest in job["files"]])
        if not store.has(artifact):
            store.put_bytes(manifest, artifact)
            sent += len(manifest)
    else:
        sent += _put(store, Path(job["path"]), job.get("blob") or artifact, progress)
    if fmt != "file":
        meta = {"format": fmt, "blob": job.get("blob") or artifact, "kind": job.get("kind")}
        if store.get_doc("meta", artifact) is None:
            store.put_doc("meta", artifact, meta)
    if job.get("staged"):
        Path(job["path"]).unlink(missing_ok=True)
    return sent


def _put(store: Any, path: Path, digest: str, progress: Progress | None) -> int:
    if store.has(digest):
        return 0
    if not path.exists():
        raise FileNotFoundError(f"{path} no longer exists; its bytes were not kept")
    size = path.stat().st_size
    store.put_file(path, digest, progress)
    return size
