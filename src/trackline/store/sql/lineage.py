"""Lineage closures, set-based: one indexed query per hop (chunked), each node expanded once.

Depth counts edges: from a run, depth 1 reaches its direct inputs, depth 2 the runs that
produced them. ``both`` is the union of the upstream and the downstream closure.
"""

from __future__ import annotations

import sqlalchemy as sa

from ...records import LineageEdge, LineageGraph, LineageNode
from .dialect import chunks
from .tables import ArtifactRow, EventRow, TaskRunRow

__all__ = ["closure"]

E = EventRow.__table__
R = TaskRunRow.__table__
A = ArtifactRow.__table__
_CHUNK = 5000


def closure(conn: sa.Connection, root: str, root_type: str, direction: str,
            depth: int | None) -> LineageGraph:
    if direction not in ("upstream", "downstream", "both"):
        raise ValueError(f"direction must be upstream, downstream or both, not {direction!r}")
    runs: set[str] = {root} if root_type == "task_run" else set()
    arts: set[str] = {root} if root_type == "artifact" else set()
    edges: set[tuple[str, str, str, str]] = set()
    for upstream in ([True, False] if direction == "both" else [direction == "upstream"]):
        _walk(conn, root, root_type, upstream, depth, runs, arts, edges)
    return LineageGraph(
        root=root, direction=direction, depth=depth,
        nodes=_nodes(conn, runs, arts),
        edges=[LineageEdge(source=s, target=t, type=k, name=n) for s, t, k, n in sorted(edges)],
    )


def _walk(conn, root, root_type, upstream, depth, runs, arts, edges) -> None:
    frontier, at_runs, hops = {root}, root_type == "task_run", 0
    while frontier and (depth is None or hops < depth):
        # From runs, upstream follows their inputs; from artifacts, the runs that output them.
        wanted = ("input" if upstream else "output") if at_runs else ("output" if upstream else "input")
        key = E.c.task_run_id if at_runs else E.c.artifact_digest
        found: set[str] = set()
        for batch in chunks(sorted(frontier), _CHUNK):
            rows = conn.execute(sa.select(E.c.task_run_id, E.c.artifact_digest, E.c.slot)
                                .where(E.c.direction == wanted, key.in_(batch)))
            for run_id, digest, slot in rows:
                if wanted == "input":
                    edges.add((digest, run_id, "input", slot))
                else:
                    edges.add((run_id, digest, "output", slot))
                found.add(digest if at_runs else run_id)
        seen = arts if at_runs else runs
        frontier = found - seen
        seen |= frontier
        at_runs = not at_runs
        hops += 1


def _nodes(conn, runs: set[str], arts: set[str]) -> list[LineageNode]:
    nodes: list[LineageNode] = []
    for batch in chunks(sorted(runs), _CHUNK):
        for rid, name, status in conn.execute(sa.select(R.c.id, R.c.name, R.c.status).where(R.c.id.in_(batch))):
            nodes.append(LineageNode(id=rid, type="task_run", name=name, status=status))
    for batch in chunks(sorted(arts), _CHUNK):
        for digest, kind, name, uri in conn.execute(
                sa.select(A.c.digest, A.c.kind, A.c.name, A.c.uri).where(A.c.digest.in_(batch))):
            nodes.append(LineageNode(id=digest, type="artifact", kind=kind, name=name or _short(uri, digest), uri=uri))
    return nodes


def _short(uri: str | None, digest: str) -> str:
    if uri:
        return uri.rstrip("/").rsplit("/", 1)[-1] or uri
    return digest[:12]
