"""From a path on disk to what the store knows about the bytes there now.

``trackline lineage PATH`` and ``trackline show PATH`` hash the file or folder as it is now and
look those bytes up; bytes never recorded are said so, with the last recorded bytes at that
path and the run that wrote them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from .capture.artifacts import describe_path
from .config import settings
from .errors import NotFound
from .model.runs import Artifact, ArtifactLocation
from .store import LocationStore, RunStore, capability

__all__ = ["PathLookup", "lookup_path", "known_bytes"]


class PathLookup(BaseModel):
    path: str
    uri: str
    digest: str
    artifact: Artifact | None = None  # None: these bytes were never recorded
    in_folders: bool = False  # recorded only as a file inside a recorded folder
    last_here: ArtifactLocation | None = None  # the newest recorded observation at this path

    @property
    def recorded(self) -> bool:
        return self.artifact is not None or self.in_folders


def lookup_path(store: RunStore, path: str | Path) -> PathLookup:
    p = Path(path)
    cfg = settings()
    art = describe_path(p, home=cfg.home, use_cache=cfg.hash_cache)
    out = PathLookup(path=str(p), uri=art.uri or p.resolve().as_uri(), digest=art.digest)
    try:
        stored = store.get_artifact(art.digest)
        out.artifact = stored if stored.digest == art.digest else None
    except NotFound:
        pass
    if out.artifact is None:
        try:
            g = store.lineage(art.digest, "upstream", 1)
            out.in_folders = any(e.type == "contains" for e in g.edges)
        except NotFound:
            pass
    try:
        found = capability(store, LocationStore).locations_at(out.uri, 1)  # type: ignore[type-abstract]
        out.last_here = found[0] if found else None
    except Exception:  # noqa: BLE001 - a store without locations: the answer is still the digest
        out.last_here = None
    return out


def known_bytes(store: RunStore, path: str | Path) -> str:
    """The digest to look up for ``path`` now; ``NotFound`` naming what *was* there if these
    bytes were never recorded."""
    found = lookup_path(store, path)
    if found.recorded:
        return found.digest
    msg = f"the bytes now at {found.path} ({found.digest[:12]}) were never recorded"
    if found.last_here is not None:
        last = found.last_here
        who = f"run {last.run_id[:12]}" if last.run_id else "a registration"
        msg += (
            f"; the last recorded bytes there were {last.digest[:12]} ({last.direction} of {who},"
            f" {last.seen_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
    raise NotFound(msg)
