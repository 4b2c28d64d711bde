"""Lineage closures, set-based on integer keys: one index-only query per hop, each node once.

Runs and artifacts carry an integer ``seq`` and every event repeats both ends' ``seq`` under
one covering index per direction of travel (migration 0013). A hop sends the whole frontier as
one parameter — a JSON array read by ``json_each`` on SQLite, a ``bigint[]`` on PostgreSQL — so
no statement is rebuilt or re-planned per frontier size, and integer probes cost a fraction of
probes on 32/64-character text keys. On PostgreSQL the loop itself runs server-side (the
``trackline_walk`` function of migration 0013): one round trip per closure, not one per hop.
Names, kinds and statuses are read once at the end for the nodes reached, and the graph's
records are built without per-node validation (trusted rows).

Depth counts edges: from a run, depth 1 reaches its direct inputs, depth 2 the runs that
produced them. ``both`` is the union of the upstream and the downstream closure.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ...errors import InvalidInput
from ...model.runs import LineageEdge, LineageGraph, LineageNode
from ...model.trusted import bulk, construct, constructor
from .dialect import utc
from .namejoin import is_named

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["check_args", "closure", "exact_root", "hop_sql", "node_sql"]

# (table, key) pairs are fixed strings, never user input.
_HOP = {
    # from runs: their events, found by run key; from artifacts: by artifact key
    True: "SELECT run_seq, art_seq, slot FROM events WHERE run_seq {op} AND direction = {mark}",
    False: "SELECT run_seq, art_seq, slot FROM events WHERE art_seq {op} AND direction = {mark}",
}
# Ordered by id, as the graph lists them: the database sorts while the client waits (and on
# PostgreSQL's two-connection read, on two cores); Python's sort then finds one run.
_NODES = {
    "task_run": (
        "SELECT seq, id, name, status, pipeline_run_id, started_at FROM task_runs WHERE seq {op}"
        " ORDER BY id"
    ),
    "artifact": "SELECT seq, digest, kind, name, uri FROM artifacts WHERE seq {op} ORDER BY digest",
}


# From this many nodes the PostgreSQL node read is split over two connections (below it, one
# round trip costs less than a second connection and a thread).
PARALLEL_NODES = 5_000

_PG_WALK = (
    "SELECT run_seq, art_seq, is_input, slot FROM trackline_walk(%s::bigint, %s, %s, %s::integer)"
)


_PG_NODES = (
    "SELECT 0, seq, id, name, status, NULL, NULL, pipeline_run_id, started_at FROM task_runs"
    " WHERE seq = ANY(%s::bigint[])"
    " UNION ALL"
    " SELECT 1, seq, digest, name, NULL, kind, uri, NULL, NULL FROM artifacts"
    " WHERE seq = ANY(%s::bigint[])"
)


def _dialect_parts(postgres: bool) -> tuple[str, str]:
    if postgres:
        return "= ANY(%s::bigint[])", "%s"
    return "IN (SELECT value FROM json_each(?))", "?"


def hop_sql(postgres: bool, from_runs: bool) -> str:
    """The statement of one hop (shown with its plan in docs/benchmarks.md)."""
    op, mark = _dialect_parts(postgres)
    return _HOP[from_runs].format(op=op, mark=mark)


def node_sql(postgres: bool, node_type: str) -> str:
    op, _ = _dialect_parts(postgres)
    return _NODES[node_type].format(op=op)


def _keys(postgres: bool, keys: set[int]) -> str:
    """The frontier as one parameter: a ``bigint[]`` literal (psycopg adapts a 10,000-int list
    element by element, slower than the query) or a JSON array for ``json_each``."""
    if postgres:
        return "{" + ",".join(map(str, keys)) + "}"
    return json.dumps(list(keys))


def check_args(direction: Any, depth: Any) -> None:
    """Refuse what the server's query parameters refuse: a direction other than the three, a
    depth that is not a whole number of hops from 1 up."""
    if direction not in ("upstream", "downstream", "both"):
        raise InvalidInput(f"direction must be upstream, downstream or both, not {direction!r:.80}")
    if depth is not None and (type(depth) is not int or depth < 1):
        raise InvalidInput(f"depth must be a whole number of hops from 1 up, not {depth!r:.80}")


def exact_root(conn: sa.Connection, ref: str) -> tuple[str, str, int | None] | None:
    """(id, node type, seq) of the run or artifact whose whole id is ``ref``, or None."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(
            f"SELECT id, 'task_run', seq FROM task_runs WHERE id = {mark} UNION ALL"
            f" SELECT digest, 'artifact', seq FROM artifacts WHERE digest = {mark}",
            [ref, ref],
        )
        row = cur.fetchone()
    finally:
        cur.close()
    return tuple(row) if row else None


def closure(
    conn: sa.Connection,
    root: str,
    root_type: str,
    direction: str,
    depth: int | None,
    root_seq: int | None = None,
) -> LineageGraph:
    postgres = conn.dialect.name == "postgresql"
    with bulk():  # tens of thousands of rows and records: see model.trusted.bulk
        cur = conn.connection.driver_connection.cursor()
        try:
            if root_seq is None:
                mark = "%s" if postgres else "?"
                if root_type == "task_run":
                    cur.execute(f"SELECT seq FROM task_runs WHERE id = {mark}", [root])
                else:
                    cur.execute(f"SELECT seq FROM artifacts WHERE digest = {mark}", [root])
                found = cur.fetchone()
                root_seq = found[0] if found else None
            runs: set[int] = set()
            arts: set[int] = set()
            edges: list[tuple[int, int, bool, str]] = []  # (run, artifact, is_input, slot)
            if root_seq is not None:
                (runs if root_type == "task_run" else arts).add(root_seq)
                ways = [True, False] if direction == "both" else [direction == "upstream"]
                for upstream in ways:
                    _walk(cur, postgres, root_seq, root_type, upstream, depth, runs, arts, edges)
                if len(ways) > 1:  # one walk meets each event once; two may share some
                    edges = list(set(edges))
            if postgres and len(runs) + len(arts) >= PARALLEL_NODES:
                run_part, art_part, ordered = _pg_nodes_in_parallel(conn, cur, runs, arts, edges)
            else:
                if postgres and runs and arts:  # both kinds in one round trip
                    cur.execute(_PG_NODES, [_keys(True, runs), _keys(True, arts)])
                    rows = cur.fetchall()
                    run_rows = [(*r[1:5], r[7], r[8]) for r in rows if r[0] == 0]
                    art_rows = [(r[1], r[2], r[5], r[3], r[6]) for r in rows if r[0] == 1]
                else:
                    run_rows = _read_nodes(cur, postgres, "task_run", runs)
                    art_rows = _read_nodes(cur, postgres, "artifact", arts)
                run_part, art_part = _run_nodes(run_rows), _art_nodes(art_rows)
                ordered = sorted(edges)
        finally:
            cur.close()
        return _graph(root, direction, depth, run_part, art_part, ordered)


def _walk(cur, postgres, root_seq, root_type, upstream, depth, runs, arts, edges) -> None:
    if postgres:  # the same walk, server-side (migration 0013): one round trip, not one per hop
        cur.execute(_PG_WALK, [root_seq, root_type == "task_run", upstream, depth])
        rows = cur.fetchall()
        edges.extend(rows)
        runs.update(map(itemgetter(0), rows))
        arts.update(map(itemgetter(1), rows))
        return
    frontier, at_runs, hops = {root_seq}, root_type == "task_run", 0
    while frontier and (depth is None or hops < depth):
        # From runs, upstream follows their inputs; from artifacts, the runs that output them.
        wanted = (
            ("input" if upstream else "output") if at_runs else ("output" if upstream else "input")
        )
        cur.execute(hop_sql(postgres, at_runs), [_keys(postgres, frontier), wanted])
        # an event whose run or artifact has no key (stored before migration 0013 without
        # its artifact row) is not walked
        rows = [r for r in cur.fetchall() if r[0] is not None and r[1] is not None]
        is_input = wanted == "input"
        edges.extend((r, a, is_input, slot) for r, a, slot in rows)
        if at_runs:
            reached = {a for _, a, _ in rows}
            frontier = reached - arts
            arts |= frontier
        else:
            reached = {r for r, _, _ in rows}
            frontier = reached - runs
            runs |= frontier
        at_runs = not at_runs
        hops += 1


def _pg_nodes_in_parallel(conn, cur, runs, arts, edges) -> tuple[tuple, tuple, list]:
    """Run and artifact nodes read at the same time — runs on this connection, artifacts on a
    second one from the pool — while this thread sorts the edges: the server reads both tables
    on two cores, and each reader builds its nodes while the other still waits (a closure over
    a hub dataset: 20,000 nodes, 29,000 edges)."""
    found: dict[str, Any] = {}

    def read(name: str, cursor_of, node_type: str, keys: set[int], build) -> None:
        raw = None
        try:
            if cursor_of is None:
                raw = conn.engine.raw_connection()
                c = raw.driver_connection.cursor()
            else:
                c = cursor_of
            found[name] = build(_read_nodes(c, True, node_type, keys))
        except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
            found[name] = exc
        finally:
            if raw is not None:
                raw.close()

    threads = [
        threading.Thread(target=read, args=("runs", cur, "task_run", runs, _run_nodes)),
        threading.Thread(target=read, args=("arts", None, "artifact", arts, _art_nodes)),
    ]
    for t in threads:
        t.start()
    ordered = sorted(edges)
    for t in threads:
        t.join()
    for value in found.values():
        if isinstance(value, BaseException):
            raise value
    return found["runs"], found["arts"], ordered


def _read_nodes(cur, postgres: bool, node_type: str, keys: set[int]) -> list[tuple]:
    if not keys:
        return []
    cur.execute(node_sql(postgres, node_type), [_keys(postgres, keys)])
    return cur.fetchall()


def _run_nodes(rows: list[tuple]) -> tuple[dict[int, str], list[LineageNode]]:
    """Ids by key, and the nodes ordered by id, of run rows (rows of trackline's own tables:
    trusted, complete)."""
    node = constructor(LineageNode)
    nodes = [
        node(
            {
                "id": rid,
                "type": "task_run",
                "name": name,
                "kind": None,
                "status": status,
                "uri": None,
                "pipeline_run_id": prid,
                "started_at": _when(started),
            },
        )
        for _, rid, name, status, prid, started in sorted(rows, key=itemgetter(1))
    ]
    return {r[0]: r[1] for r in rows}, nodes


def _art_nodes(rows: list[tuple]) -> tuple[dict[int, str], set[int], list[LineageNode]]:
    """Digests by key, the keys of artifacts joined by name, and the nodes ordered by digest."""
    node = constructor(LineageNode)
    nodes = [
        node(
            {
                "id": d,
                "type": "artifact",
                "name": n or _short(u, d),
                "kind": k,
                "status": None,
                "uri": u,
                "pipeline_run_id": None,
                "started_at": None,
            },
        )
        for _, d, k, n, u in sorted(rows, key=itemgetter(1))
    ]
    # an artifact known only by its location (digest = hash of the URI) is joined by name
    named = {seq for seq, digest, _, _, uri in rows if is_named(digest, uri)}
    return {seq: digest for seq, digest, _, _, _ in rows}, named, nodes


def _graph(root, direction, depth, run_part, art_part, ordered_edges) -> LineageGraph:
    """Nodes ordered by id (runs, then artifacts); edges as given: sorted by the integer keys
    of their run and artifact (write order), which sorts several times faster than the ids."""
    edge = constructor(LineageEdge)
    run_id, run_nodes = run_part
    art_id, named, art_nodes = art_part
    out = []
    append, run_of, digest_of = out.append, run_id.get, art_id.get
    for r, a, is_input, slot in ordered_edges:
        rid, digest = run_of(r), digest_of(a)
        if rid is None or digest is None:
            continue
        by = "name" if a in named else "digest"
        if is_input:
            data = {"source": digest, "target": rid, "type": "input", "name": slot, "by": by}
        else:
            data = {"source": rid, "target": digest, "type": "output", "name": slot, "by": by}
        append(edge(data))
    return construct(
        LineageGraph,
        {
            "root": root,
            "direction": direction,
            "depth": depth,
            "nodes": run_nodes + art_nodes,
            "edges": out,
        },
    )


def _when(value: Any) -> datetime | None:
    """SQLite hands back timestamp text through the raw driver; PostgreSQL a datetime."""
    if value is None or isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(str(value)))


def _short(uri: str | None, digest: str) -> str:
    if uri:
        return uri.rstrip("/").rsplit("/", 1)[-1] or uri
    return digest[:12]
