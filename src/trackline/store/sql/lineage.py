"""Lineage closures, set-based: one indexed query per hop (chunked), each node expanded once.

Depth counts edges: from a run, depth 1 reaches its direct inputs, depth 2 the runs that
produced them. ``both`` is the union of the upstream and the downstream closure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model.runs import LineageEdge, LineageGraph, LineageNode
from .dialect import chunks
from .locations import is_named, same_location

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["closure"]

_CHUNK = 5000
# PostgreSQL's estimate of rows per key is skewed by hub artifacts (a dataset thousands of runs
# read); past a few thousand keys it scans the whole table, several times slower than the index
# probes it chooses for smaller batches.
_PG_CHUNK = 1000


def closure(
    conn: sa.Connection, root: str, root_type: str, direction: str, depth: int | None
) -> LineageGraph:
    if direction not in ("upstream", "downstream", "both"):
        raise ValueError(f"direction must be upstream, downstream or both, not {direction!r}")
    runs: set[str] = {root} if root_type == "task_run" else set()
    arts: set[str] = {root} if root_type == "artifact" else set()
    edges: set[tuple[str, str, str, str]] = set()
    for upstream in [True, False] if direction == "both" else [direction == "upstream"]:
        _walk(conn, root, root_type, upstream, depth, runs, arts, edges)
    nodes = _nodes(conn, runs, arts)
    named = {n.id for n in nodes if n.type == "artifact" and is_named(n.id, n.uri)}
    return LineageGraph(
        root=root,
        direction=direction,
        depth=depth,
        nodes=nodes,
        edges=[
            _fast(
                LineageEdge,
                {
                    "source": s,
                    "target": t,
                    "type": k,
                    "name": n,
                    "by": "name"
                    if k == "location" or (s if k == "input" else t) in named
                    else "digest",
                },
            )
            for s, t, k, n in sorted(edges, key=lambda e: (e[0], e[1], e[2], e[3] or ""))
        ],
    )


def _fast(cls, data: dict):
    """A pydantic instance from trusted, complete field values (``model_construct`` without its
    per-call default handling, which dominated graphs of tens of thousands of nodes)."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", data)
    object.__setattr__(obj, "__pydantic_fields_set__", set(data))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _rows_with(
    cur,
    mark: str,
    select: str,
    table: str,
    column: str,
    batch: list[str],
    where: str = "",
    params: tuple = (),
) -> list[tuple]:
    """Rows of ``table`` whose ``column`` is in ``batch``, as one indexed query.

    Plain DBAPI: SQLAlchemy's per-execution work for an expanding IN list cost more than the
    query. PostgreSQL gets the batch as one array parameter: binding thousands of separate
    parameters cost several times the query itself."""
    if mark == "%s":
        cur.execute(
            f"SELECT {select} FROM {table} t WHERE t.{column} = ANY(%s)"
            + (f" AND {where}" if where else ""),
            [batch, *params],
        )
    else:
        marks = ", ".join([mark] * len(batch))
        cur.execute(
            f"SELECT {select} FROM {table} t WHERE t.{column} IN ({marks})"
            + (f" AND {where}" if where else ""),
            [*batch, *params],
        )
    return cur.fetchall()


def _hop(cur, mark: str, wanted: str, key: str, batch: list[str]):
    # ``key`` is one of two column names, never user input.
    return _rows_with(
        cur,
        mark,
        "t.task_run_id, t.artifact_digest, t.slot",
        "events",
        key,
        batch,
        f"t.direction = {mark}",
        (wanted,),
    )


def _walk(conn, root, root_type, upstream, depth, runs, arts, edges) -> None:
    frontier, at_runs, hops = {root}, root_type == "task_run", 0
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cur = conn.connection.driver_connection.cursor()
    while frontier and (depth is None or hops < depth):
        # From runs, upstream follows their inputs; from artifacts, the runs that output them.
        wanted = (
            ("input" if upstream else "output") if at_runs else ("output" if upstream else "input")
        )
        key = "task_run_id" if at_runs else "artifact_digest"
        if not at_runs:  # artifacts at the same location as a name-identified one join it
            for a, b in same_location(cur, mark, frontier):
                edges.add((a, b, "location", None))
                for d in (a, b):
                    if d not in arts:
                        arts.add(d)
                        frontier = frontier | {d}
        found: set[str] = set()
        for batch in chunks(sorted(frontier), _PG_CHUNK if mark == "%s" else _CHUNK):
            for run_id, digest, slot in _hop(cur, mark, wanted, key, batch):
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
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cur = conn.connection.driver_connection.cursor()
    nodes: list[LineageNode] = []
    size = _PG_CHUNK if mark == "%s" else _CHUNK
    for batch in chunks(sorted(runs), size):
        rows = _rows_with(cur, mark, "t.id, t.name, t.status", "task_runs", "id", batch)
        nodes.extend(
            _fast(
                LineageNode,
                {
                    "id": rid,
                    "type": "task_run",
                    "name": name,
                    "kind": None,
                    "status": status,
                    "uri": None,
                },
            )
            for rid, name, status in rows
        )
    for batch in chunks(sorted(arts), size):
        rows = _rows_with(
            cur, mark, "t.digest, t.kind, t.name, t.uri", "artifacts", "digest", batch
        )
        nodes.extend(
            _fast(
                LineageNode,
                {
                    "id": d,
                    "type": "artifact",
                    "name": n or _short(u, d),
                    "kind": k,
                    "status": None,
                    "uri": u,
                },
            )
            for d, k, n, u in rows
        )
    return nodes


def _short(uri: str | None, digest: str) -> str:
    if uri:
        return uri.rstrip("/").rsplit("/", 1)[-1] or uri
    return digest[:12]
