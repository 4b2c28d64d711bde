"""Pure helpers over lineage graphs: merge closures, fold identical producers.

Runs of the same task that output the same bytes (a deterministic step re-run twelve times) are
one fact, not twelve: ``group_producers`` names them as one group per (artifact, task name),
newest first, with the runs of a given pipeline run ahead of the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .runs import LineageEdge, LineageGraph, LineageGroup, LineageNode

__all__ = ["merge_graphs", "group_producers", "run_label", "short_id"]

_EPOCH = datetime.min


def short_id(run_id: str) -> str:
    return run_id[:8]


def run_label(node: LineageNode) -> str:
    return f"{node.name}#{short_id(node.id)}"


def merge_graphs(
    root: str,
    direction: str,
    depth: int | None,
    graphs: Iterable[LineageGraph],
    extra_nodes: Iterable[LineageNode] = (),
    extra_edges: Iterable[LineageEdge] = (),
) -> LineageGraph:
    graphs = list(graphs)
    extra_nodes, extra_edges = list(extra_nodes), list(extra_edges)
    if len(graphs) == 1 and not extra_nodes and not extra_edges:
        return graphs[0]  # one closure: already deduplicated and ordered
    nodes: dict[str, LineageNode] = {}
    edges: dict[tuple, LineageEdge] = {}
    for g in graphs:
        for n in g.nodes:
            nodes.setdefault(n.id, n)
        for e in g.edges:
            edges.setdefault((e.source, e.target, e.type, e.name), e)
    for n in extra_nodes:
        nodes.setdefault(n.id, n)
    for e in extra_edges:
        edges.setdefault((e.source, e.target, e.type, e.name), e)
    return LineageGraph(
        root=root,
        direction=direction,
        depth=depth,
        nodes=list(nodes.values()),
        edges=[edges[k] for k in sorted(edges, key=lambda k: tuple(x or "" for x in k))],
    )


def group_producers(graph: LineageGraph, pipeline_run_id: str | None = None) -> list[LineageGroup]:
    """One group per (artifact, task name) with more than one producing run."""
    runs = {n.id: n for n in graph.nodes if n.type == "task_run"}
    # Most artifacts have one producer (a hub's closure: 10,000): keep the first producer per
    # key and build a group only when a second one turns up.
    first: dict[tuple[str, str], LineageNode] = {}
    by_key: dict[tuple[str, str], dict[str, LineageNode]] = {}
    for e in graph.edges:
        if e.type != "output":
            continue
        node = runs.get(e.source)
        if node is None:
            continue
        key = (e.target, node.name or "")
        seen = first.setdefault(key, node)
        if seen is not node:  # one node per run id (runs above)
            found = by_key.get(key)
            if found is None:
                found = by_key[key] = {seen.id: seen}
            found[node.id] = node
    groups = []
    for (artifact, name), found in sorted(by_key.items()):
        members = list(found.values())
        members.sort(
            key=lambda n: (
                not (pipeline_run_id and n.pipeline_run_id == pipeline_run_id),
                -(n.started_at.timestamp() if n.started_at else 0.0),
                n.id,
            )
        )
        newest = max(members, key=lambda n: n.started_at.timestamp() if n.started_at else 0.0)
        groups.append(
            LineageGroup(
                artifact=artifact, name=name, runs=[n.id for n in members], newest=newest.id
            )
        )
    return groups
