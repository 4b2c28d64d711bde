"""Garbage collection of the artifact store.

A blob is deleted only when no model version, no pinned run and no younger-than-the-threshold
upload needs it: kept-by-policy outputs live until they are older than ``older_than``. Bytes of
registered model versions are never deleted, whatever their age. Every deletion is recorded in
the audit log (one entry per collection, listing the digests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..audit.actor import current_actor
from ..blobs import blob_store, blobs_of
from ..blobs.verify import Progress
from ..model.runs import utcnow
from ..registry.store import registry_store
from ..store import AuditStore, RunStore, capability, get_store
from .pins import pinned_runs

__all__ = ["GcResult", "collect_garbage"]

_AUDIT_LIST = 1000  # digests listed in the audit entry (the count is always exact)


@dataclass
class GcResult:
    deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    kept_referenced: int = 0
    kept_recent: int = 0
    dry_run: bool = False
    protected_models: int = 0
    pinned_runs: int = 0


def referenced_blobs(store: RunStore, blobs: Any) -> tuple[set[str], int, int]:
    """Blobs that model versions and pinned runs need (model versions of every model)."""
    reg = registry_store(store)
    needed: set[str] = set()
    versions = 0
    for summary in reg.list_models():
        for mv in reg.list_model_versions(summary.name):
            needed |= blobs_of(blobs, mv.digest) | {mv.digest}
            versions += 1
    pins = pinned_runs()
    for run_id in pins:
        run = store.get_run(run_id)
        for ref in [*run.inputs, *run.outputs]:
            needed |= blobs_of(blobs, ref.digest) | {ref.digest}
    return needed, versions, len(pins)


def collect_garbage(
    older_than: timedelta = timedelta(days=30),
    *,
    dry_run: bool = False,
    store: RunStore | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> GcResult:
    s = store or get_store()
    blobs = blob_store()
    needed, versions, pins = referenced_blobs(s, blobs)
    cutoff = utcnow() - older_than
    result = GcResult(dry_run=dry_run, protected_models=versions, pinned_runs=pins)
    doomed = []
    for info in blobs.iter_blobs():
        if info.digest in needed:
            result.kept_referenced += 1
        elif info.modified is not None and info.modified > cutoff:
            result.kept_recent += 1
        else:
            doomed.append(info)
    for info in doomed:
        if not dry_run:
            blobs.delete(info.digest)
            blobs.delete_doc("meta", info.digest)
        result.deleted.append(info.digest)
        result.bytes_freed += info.size
        if progress is not None:
            progress(info.size)
    if not dry_run:
        gone = set(result.deleted)
        for name in blobs.list_docs("meta"):  # maps to bytes that are gone
            meta = blobs.get_doc("meta", name)
            if meta and meta.get("blob") in gone:
                blobs.delete_doc("meta", name)
        blobs.clean_tmp(cutoff)
        if result.deleted:
            capability(s, AuditStore).append_audit(
                "artifacts.gc",
                actor=current_actor(actor),
                data={
                    "store": blobs.url,
                    "count": len(result.deleted),
                    "bytes_freed": result.bytes_freed,
                    "older_than_s": older_than.total_seconds(),
                    "deleted": result.deleted[:_AUDIT_LIST],
                },
            )
    return result
