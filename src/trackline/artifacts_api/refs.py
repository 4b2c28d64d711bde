"""What ``trackline artifacts get REF`` accepts, resolved to one artifact record.

``REF`` is a digest or unique digest prefix, ``MODEL@ALIAS``, ``MODEL/VERSION`` or ``RUN/SLOT``
(a run's input or output by slot name, e.g. ``3f2a91/return`` or ``3f2a91/data``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput, NotFound
from ..model.runs import Artifact
from ..registry import resolve_model
from ..store import RunStore, get_store

__all__ = ["Resolved", "resolve_ref"]


@dataclass
class Resolved:
    artifact: Artifact
    label: str  # what the reference named, for messages
    slot: str | None = None


def _run_slot(store: RunStore, run_ref: str, slot: str) -> Resolved:
    run = store.get_run(run_ref)
    matches = [(d, r) for d, refs in (("output", run.outputs), ("input", run.inputs)) for r in refs]
    for direction, ref in matches:  # outputs first: a slot both read and written is the result
        if ref.name == slot:
            return Resolved(
                _artifact(store, ref.digest, ref.uri, ref.kind),
                f"{direction} {slot!r} of run {run.id}",
                slot,
            )
    known = ", ".join(sorted({r.name for _, r in matches})) or "none"
    raise NotFound(f"run {run.id} has no input or output slot {slot!r} (slots: {known})")


def _artifact(store: RunStore, digest: str, uri: str | None, kind: str) -> Artifact:
    try:
        return store.get_artifact(digest)
    except NotFound:
        return Artifact(digest=digest, kind=kind, uri=uri)


def resolve_ref(ref: str, store: RunStore | None = None) -> Resolved:
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput(
            "an artifact reference is a digest, MODEL@ALIAS, MODEL/VERSION or RUN/SLOT"
        )
    ref = ref.strip()
    s = store or get_store()
    if "@" in ref:
        mv = resolve_model(ref, store=s)
        art = _artifact(s, mv.digest, mv.uri, mv.kind or "model")
        return Resolved(art, f"model {mv.name} version {mv.version} ({ref})")
    if "/" in ref:
        left, _, right = ref.partition("/")
        if right.isdigit():
            try:
                mv = resolve_model(ref, store=s)
                art = _artifact(s, mv.digest, mv.uri, mv.kind or "model")
                return Resolved(art, f"model {mv.name} version {mv.version}")
            except NotFound:
                pass
        return _run_slot(s, left, right)
    art = s.get_artifact(ref)  # digest, unique prefix or name (AmbiguousRef when not unique)
    return Resolved(art, f"artifact {art.digest[:16]}…")
