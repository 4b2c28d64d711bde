"""Pinned runs: garbage collection keeps every byte a pinned run read or wrote.

Pins live in the artifact store itself (``pins/<run id>.json``), next to the bytes they protect,
so every process that collects garbage in that store sees them, whatever database it uses.
"""

from __future__ import annotations

from ..audit.actor import current_actor
from ..blobs import blob_store
from ..model.runs import utcnow
from ..store import RunStore, get_store

__all__ = ["pin_run", "unpin_run", "pinned_runs"]


def pin_run(ref: str, *, store: RunStore | None = None, actor: str | None = None) -> str:
    """Pin run ``ref`` (id or unique prefix); returns the full run id."""
    run = (store or get_store()).get_run(ref)
    blob_store().put_doc(
        "pins", run.id, {"run": run.id, "by": current_actor(actor), "at": utcnow().isoformat()}
    )
    return run.id


def unpin_run(ref: str, *, store: RunStore | None = None) -> str:
    run = (store or get_store()).get_run(ref)
    blob_store().delete_doc("pins", run.id)
    return run.id


def pinned_runs() -> list[str]:
    return blob_store().list_docs("pins")
