"""Lineage closures on integer keys, against an oracle computed from the records written.

Small graphs only (the 1.45M-event graph lives in benchmarks/): the MLMD-like shape — pipelines
of steps reading a shared reference and the previous step's output — written through the store's
own write path, on SQLite and PostgreSQL (``store`` fixture).
"""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from trackline.model.runs import Artifact, ArtifactRef, TaskRun
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore

PIPELINES, STEPS, PER_REF = 12, 4, 5


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ref(slot: str, digest: str) -> ArtifactRef:
    return ArtifactRef(name=slot, digest=digest, kind="dataset")


def _records() -> list[TaskRun]:
    runs = []
    for p in range(PIPELINES):
        ref, prev = _sha(f"ref-{p // PER_REF}"), None
        for s in range(1, STEPS + 1):
            out = _sha(f"p{p}-s{s}")
            inputs = [_ref("reference", ref)] + ([_ref("data", prev)] if prev else [])
            runs.append(
                TaskRun(
                    id=f"p{p:02d}s{s}",
                    name=f"step{s}",
                    status="success",
                    inputs=inputs,
                    outputs=[_ref("return", out)],
                    artifacts=[Artifact(digest=d, kind="dataset") for d in (ref, out)]
                    + ([Artifact(digest=prev, kind="dataset")] if prev else []),
                )
            )
            prev = out
    return runs


def _oracle(runs: list[TaskRun], root: str, direction: str, depth: int | None):
    """Breadth-first closure over the records themselves: (node ids, edges)."""
    edges = {
        (r.digest, run.id, "input", r.name)
        if d == "input"
        else (run.id, r.digest, "output", r.name)
        for run in runs
        for d, refs in (("input", run.inputs), ("output", run.outputs))
        for r in refs
    }
    seen, got = {root}, set()
    dirs = ["upstream", "downstream"] if direction == "both" else [direction]
    for way in dirs:
        frontier, hops = {root}, 0
        while frontier and (depth is None or hops < depth):
            step = {e for e in edges if (e[1] if way == "upstream" else e[0]) in frontier}
            got |= step
            reached = {e[0] if way == "upstream" else e[1] for e in step}
            frontier = reached - seen
            seen |= frontier
            hops += 1
    return seen, got


@pytest.fixture
def store(store_url):
    s = SqlStore(store_url)
    yield s
    s.close()


@pytest.fixture
def graph(store):
    runs = _records()
    for run in runs:
        store.write_task_run(run)
    return store, runs


@pytest.mark.parametrize(
    ("root", "direction", "depth"),
    [
        ("p07s4", "upstream", None),
        ("p07s4", "upstream", 3),
        ("p07s2", "both", None),
        ("p07s2", "downstream", 2),
        (_sha("ref-1"), "downstream", None),
        (_sha("ref-0"), "downstream", 1),
        (_sha("p3-s2"), "both", 4),
    ],
)
def test_closure_matches_the_records(graph, root, direction, depth):
    store, runs = graph
    g = store.lineage(root, direction, depth)
    nodes, edges = _oracle(runs, root, direction, depth)
    assert {n.id for n in g.nodes} == nodes
    assert {(e.source, e.target, e.type, e.name) for e in g.edges} == edges
    assert len(g.edges) == len(edges) and len(g.nodes) == len(nodes)
    again = store.lineage(root, direction, depth)
    assert again.model_dump() == g.model_dump()  # the same graph in the same order
    assert [n.id for n in g.nodes] == sorted(
        n.id for n in g.nodes if n.type == "task_run"
    ) + sorted(n.id for n in g.nodes if n.type == "artifact")
    kinds = {n.id: (n.type, n.name, n.status, n.kind) for n in g.nodes}
    assert kinds.get("p07s2", ("task_run", "step2", "success", None)) == (
        "task_run",
        "step2",
        "success",
        None,
    )


def test_downstream_of_a_shared_reference_reaches_every_step_of_its_pipelines(graph):
    store, _ = graph
    g = store.lineage(_sha("ref-0"), "downstream", 20)
    assert len(g.nodes) == PER_REF * STEPS * 2 + 1
    # every step reads the reference; steps 2.. also read their predecessor's output
    assert len(g.edges) == PER_REF * (STEPS + STEPS + STEPS - 1)


def test_a_rewritten_run_keeps_its_key_and_edges(store):
    run = _records()[1]
    store.write_task_run(run.model_copy(update={"status": "running", "outputs": []}))
    store.write_task_run(run)  # the finished record merges into the running one
    store.write_task_run(run)  # a replay changes nothing
    g = store.lineage(run.id, "both")
    assert {(e.source, e.target) for e in g.edges} == {
        (run.inputs[0].digest, run.id),
        (run.inputs[1].digest, run.id),
        (run.id, run.outputs[0].digest),
    }


def test_an_artifact_known_only_by_reference_is_a_node(store):
    # A record sent by another client may carry input/output refs without artifact records.
    store.write_task_run(
        TaskRun(id="lonely", name="x", status="success", outputs=[_ref("out", "e" * 64)])
    )
    g = store.lineage("e" * 64, "upstream")
    assert {n.id for n in g.nodes} == {"e" * 64, "lonely"}
    assert [(e.source, e.target) for e in g.edges] == [("lonely", "e" * 64)]


def test_upgrade_fills_the_keys_of_existing_events(store_url):
    """A store written before migration 0013 (text keys only) walks the same after upgrading."""
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0006")
    runs = _records()[: 2 * STEPS]
    with engine.begin() as conn:
        for run in runs:
            conn.execute(
                sa.text("INSERT INTO task_runs (id, name, status) VALUES (:i, :n, 'success')"),
                {"i": run.id, "n": run.name},
            )
            for d, refs in (("input", run.inputs), ("output", run.outputs)):
                for r in refs:
                    conn.execute(
                        sa.text(
                            "INSERT INTO events (task_run_id, direction, artifact_digest, slot)"
                            " VALUES (:i, :d, :a, :s)"
                        ),
                        {"i": run.id, "d": d, "a": r.digest, "s": r.name},
                    )
        digests = {r.digest for run in runs for r in (*run.inputs, *run.outputs)}
        for d in sorted(digests):
            conn.execute(
                sa.text("INSERT INTO artifacts (digest, kind) VALUES (:d, 'dataset')"), {"d": d}
            )
    engine.dispose()
    store = SqlStore(store_url)  # upgrades to head
    try:
        for root, direction in (("p01s4", "upstream"), (_sha("ref-0"), "downstream")):
            g = store.lineage(root, direction)
            nodes, edges = _oracle(runs, root, direction, None)
            assert {n.id for n in g.nodes} == nodes
            assert {(e.source, e.target, e.type, e.name) for e in g.edges} == edges
        # writes after the upgrade continue the keys and join the same graph
        later = _records()[2 * STEPS]
        store.write_task_run(later)
        g = store.lineage(_sha("ref-0"), "downstream", 1)
        assert later.id in {n.id for n in g.nodes}
    finally:
        store.close()


def test_an_event_written_before_its_run_joins_the_graph_when_the_run_is_stored(store):
    # A model registered inside a tracked task links the run before the run's record exists.
    model = Artifact(digest="m" * 64, kind="model")
    store.add_model_version("clf", model, run_id="trainer", actor="test")
    assert store.lineage(model.digest, "upstream").edges == []
    data = _sha("training data")
    store.write_task_run(
        TaskRun(id="trainer", name="train", status="success", inputs=[_ref("data", data)])
    )
    g = store.lineage(model.digest, "upstream")
    assert {n.id for n in g.nodes} == {model.digest, "trainer", data}
    assert {(e.source, e.target, e.name) for e in g.edges} == {
        ("trainer", model.digest, "model:clf"),
        (data, "trainer", "data"),
    }


def test_nodes_read_over_two_connections_give_the_same_graph(graph, monkeypatch):
    """On PostgreSQL a large closure reads its run and artifact nodes on two connections at
    once (``PARALLEL_NODES``); forced on for this small graph, every answer is unchanged."""
    from trackline.store.sql import lineage as sql_lineage

    store, runs = graph
    cases = [
        ("p07s4", "upstream", None),
        ("p07s2", "both", None),
        (_sha("ref-1"), "downstream", None),
        (_sha("p3-s2"), "both", 4),
    ]
    one = [store.lineage(*case).model_dump() for case in cases]
    monkeypatch.setattr(sql_lineage, "PARALLEL_NODES", 1)
    for case, expected in zip(cases, one):
        g = store.lineage(*case)
        assert g.model_dump() == expected
        nodes, edges = _oracle(runs, *case)
        assert {n.id for n in g.nodes} == nodes and len(g.edges) == len(edges)


def test_producer_groups_match_a_plain_fold_of_the_edges():
    """group_producers keeps one producer per (artifact, task name) until a second appears:
    its groups must be those of a plain fold, for random graphs with repeated producers."""
    import random
    from datetime import UTC, datetime, timedelta

    from trackline.model.lineage_view import group_producers
    from trackline.model.runs import LineageEdge, LineageGraph, LineageNode

    rng = random.Random(7)
    for _ in range(30):
        runs = [
            LineageNode(
                id=f"r{i:03d}",
                type="task_run",
                name=rng.choice(["fit", "clean", None]),
                pipeline_run_id=rng.choice(["p1", "p2"]),
                started_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(50)),
            )
            for i in range(rng.randrange(1, 25))
        ]
        arts = [LineageNode(id=f"a{i:03d}", type="artifact") for i in range(rng.randrange(1, 8))]
        edges = [
            LineageEdge(source=rng.choice(runs).id, target=rng.choice(arts).id, type="output")
            for _ in range(rng.randrange(40))
        ] + [
            LineageEdge(source=rng.choice(arts).id, target=rng.choice(runs).id, type="input")
            for _ in range(rng.randrange(10))
        ]
        graph = LineageGraph(
            root=arts[0].id, direction="downstream", depth=None, nodes=runs + arts, edges=edges
        )
        by_id = {n.id: n for n in runs}
        fold: dict = {}
        for e in edges:
            if e.type == "output":
                node = by_id[e.source]
                fold.setdefault((e.target, node.name or ""), {})[node.id] = node
        expected = {k: set(v) for k, v in fold.items() if len(v) > 1}
        groups = group_producers(graph, "p1")
        assert {(g.artifact, g.name): set(g.runs) for g in groups} == expected
        assert [(g.artifact, g.name) for g in groups] == sorted(expected)
        for g in groups:
            members = [by_id[r] for r in g.runs]
            assert g.newest == max(members, key=lambda n: n.started_at).id or (
                by_id[g.newest].started_at == max(n.started_at for n in members)
            )
            own = [n.pipeline_run_id == "p1" for n in members]
            assert own == sorted(own, reverse=True)  # the asked pipeline run's runs first


def test_lineage_refuses_a_bad_direction_or_depth_as_the_server_does(tmp_path):
    """The SQL store refused a direction with a bare ValueError, walked nothing for depth 0 or
    -1, and failed with TypeError or pydantic's ValidationError for a depth of "2" or 2.5:
    each is now InvalidInput naming the argument, as the server's query parameters answer."""
    from trackline.errors import InvalidInput
    from trackline.model.runs import ArtifactRef, TaskRun
    from trackline.store.sql.store import SqlStore

    store = SqlStore(f"sqlite:///{tmp_path / 'l.db'}")
    ref = ArtifactRef(name="data", digest="d" * 64, kind="dataset")
    store.write_task_run(TaskRun(id="a" * 32, name="make", status="success", outputs=[ref]))
    for direction, depth, named in [
        ("sideways", None, "direction"),
        ("upstream", 0, "depth"),
        ("upstream", -1, "depth"),
        ("upstream", "2", "depth"),
        ("upstream", 2.5, "depth"),
        ("upstream", True, "depth"),
    ]:
        with pytest.raises(InvalidInput, match=named):
            store.lineage("a" * 32, direction, depth)
    assert len(store.lineage("d" * 64, "upstream", 1).nodes) == 2
    store.close()
