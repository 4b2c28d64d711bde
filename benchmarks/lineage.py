"""Lineage closures on the MLMD-like graph, SQLite and PostgreSQL, against a bare recursive CTE.

The graph (the one Google MLMD 1.17 was measured on): 50,000 pipeline runs × 10 steps; one shared
reference dataset per 1,000 pipeline runs; step 1 reads the reference, step s > 1 reads step
s−1's output and the reference; every step writes one artifact → 500,000 task runs, 500,050
artifacts, 1,450,000 events. Run ids are uuid4 hex, digests sha256 hex (seeded: the same graph on
every build). It is built by raw inserts into a store trackline migrated, and cached: the SQLite
file in ``benchmarks/data/`` and the PostgreSQL database ``trackline_bench_lineage`` are reused
while they hold this graph at the current schema revision.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from _common import median_us, report

PIPELINES, STEPS, PER_REF = 50_000, 10, 1_000
EVENTS = PIPELINES * (3 * STEPS - 1)


def data_dir() -> Path:
    d = Path(os.environ.get("BENCH_DATA", Path(__file__).parent / "data"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _uid(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def graph(pipelines: int):
    """Rows of the graph: pipeline runs, task runs, artifacts, events (columns in ``_COLUMNS``).

    ``seq`` (the integer keys of migration 0013) is numbered here as trackline's writers would."""
    rng = random.Random(18)
    pipes, runs, arts, events = [], [], [], []
    refs = []
    for r in range((pipelines + PER_REF - 1) // PER_REF):
        refs.append((_sha(f"reference-{r}"), len(arts) + 1))
        arts.append((len(arts) + 1, refs[-1][0], "dataset", f"reference-{r}"))
    for p in range(pipelines):
        pid = _uid(rng)
        pipes.append((pid, "bench", "success"))
        ref, prev = refs[p // PER_REF], None
        for s in range(1, STEPS + 1):
            rid, rseq = _uid(rng), len(runs) + 1
            out = (_sha(f"pipeline-{p}-step-{s}"), len(arts) + 1)
            runs.append((rseq, rid, f"step{s}", "bench", pid, "success"))
            arts.append((out[1], out[0], "dataset", None))
            events.append((rid, "input", ref[0], "reference", rseq, ref[1]))
            if prev is not None:
                events.append((rid, "input", prev[0], "data", rseq, prev[1]))
            events.append((rid, "output", out[0], "return", rseq, out[1]))
            prev = out
    return pipes, runs, arts, events


_COLUMNS = {
    "pipeline_runs": "id, pipeline, status",
    "task_runs": "seq, id, name, pipeline, pipeline_run_id, status",
    "artifacts": "seq, digest, kind, name",
    "events": "task_run_id, direction, artifact_digest, slot, run_seq, art_seq",
}


def _load(store, pipelines: int) -> None:
    """Raw inserts (COPY on PostgreSQL) into the tables trackline's migrations built."""
    tables = dict(zip(_COLUMNS, graph(pipelines), strict=True))
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            for table, rows in tables.items():
                with cur.copy(f"COPY {table} ({_COLUMNS[table]}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
            for table in ("task_runs", "artifacts"):  # later writers continue after the graph
                cur.execute(f"SELECT setval('{table}_seq_seq', (SELECT max(seq) FROM {table}))")
        else:
            cur.execute("BEGIN")
            for table, rows in tables.items():
                marks = ", ".join("?" * len(rows[0]))
                cur.executemany(f"INSERT INTO {table} ({_COLUMNS[table]}) VALUES ({marks})", rows)
            cur.execute("COMMIT")
            cur.execute("ANALYZE")  # as a store that has lived a while would have
        raw.commit()
        cur.close()
    finally:
        raw.close()


def _walk_sql(upstream: bool) -> str:
    """A plain recursive CTE over the same indexed event table (its integer keys), returning
    node keys only — trackline also returns every edge and each node's id/name/kind/status."""
    from_run, from_artifact = ("input", "output") if upstream else ("output", "input")
    return f"""
WITH RECURSIVE walk(node, is_run, depth) AS (
  SELECT CAST(:root AS BIGINT), CAST(:is_run AS INTEGER), 0
  UNION
  SELECT CASE WHEN w.is_run = 1 THEN e.art_seq ELSE e.run_seq END, 1 - w.is_run, w.depth + 1
  FROM walk w JOIN events e
    ON (w.is_run = 1 AND e.run_seq = w.node AND e.direction = '{from_run}')
    OR (w.is_run = 0 AND e.art_seq = w.node AND e.direction = '{from_artifact}')
  WHERE w.depth < :depth
)
SELECT DISTINCT node, is_run FROM walk
"""


def _open(url: str, label: str, pipelines: int):
    from trackline.store.sql.migrate import head
    from trackline.store.sql.store import SqlStore

    store = SqlStore(url)
    with store.engine.connect() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM events")).scalar()
        marker = conn.execute(
            sa.text("SELECT count(*) FROM pipeline_runs WHERE pipeline = 'bench'")
        ).scalar()
    want = pipelines * (3 * STEPS - 1)
    if have != want or marker != pipelines:
        with store.engine.begin() as conn:  # a graph of another size from an earlier run
            for table in ("events", "task_runs", "artifacts", "pipeline_runs"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        t = time.perf_counter()
        _load(store, pipelines)
        print(f"  built the graph ({want:,} events) in {label} in {time.perf_counter() - t:.0f}s")
    else:
        print(f"  reusing the cached graph in {label} (schema {head()})")
    if store.engine.dialect.name == "postgresql":
        # As autovacuum would: a migration that rewrote the tables leaves dead rows and an empty
        # visibility map (no index-only scans). Quick when there is nothing to do.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE events, task_runs, artifacts"))
    return store


def bench(url: str, label: str, pipelines: int) -> None:
    store = _open(url, label, pipelines)
    with store.engine.connect() as conn:
        ref = (
            conn.execute(
                sa.text("SELECT digest FROM artifacts WHERE name = 'reference-7'")
            ).scalar()
            or conn.execute(
                sa.text("SELECT digest FROM artifacts WHERE name = 'reference-0'")
            ).scalar()
        )
        last = conn.execute(
            sa.text(
                "SELECT e.task_run_id FROM events e JOIN task_runs r ON r.id = e.task_run_id"
                " WHERE e.artifact_digest = :ref AND e.direction = 'input' AND r.name = 'step10'"
                " ORDER BY e.task_run_id LIMIT 1"
            ),
            {"ref": ref},
        ).scalar()

    def cte(root: str, upstream: bool):
        table, column = ("task_runs", "id") if upstream else ("artifacts", "digest")
        with store.engine.connect() as conn:
            seq = conn.execute(
                sa.text(f"SELECT seq FROM {table} WHERE {column} = :r"), {"r": root}
            ).scalar()
            return conn.execute(
                sa.text(_walk_sql(upstream)),
                {"root": seq, "is_run": int(upstream), "depth": 20},
            ).all()

    up = store.lineage(last, "upstream", 20)
    runs_up = sum(1 for n in up.nodes if n.type == "task_run")
    if runs_up != STEPS or len(up.nodes) != 2 * STEPS:
        raise SystemExit(f"{label}: upstream closure has {len(up.nodes)} nodes, {runs_up} runs")
    if len(cte(last, True)) != len(up.nodes):
        raise SystemExit(f"{label}: the upstream CTE baseline disagrees")
    up_ms = median_us(lambda: store.lineage(last, "upstream", 20), 50, warmup=5) / 1000
    up_base = median_us(lambda: cte(last, True), 50, warmup=5) / 1000
    up_aim = 1.0 if label == "SQLite" else 3.0
    report(
        f"lineage upstream depth 20 from a step-10 run, {label} (median)",
        up_ms,
        "ms",
        "plain recursive CTE, node keys only",
        up_base,
        aim=f"<= {up_aim:g} ms",
        met=up_ms <= up_aim,
    )

    events = pipelines * (3 * STEPS - 1)
    down = store.lineage(ref, "downstream", 20)
    expect = min(pipelines, PER_REF) * STEPS * 2 + 1
    if len(down.nodes) != expect:
        raise SystemExit(f"{label}: downstream closure has {len(down.nodes)} nodes, not {expect}")
    if len(cte(ref, False)) != len(down.nodes):
        raise SystemExit(f"{label}: the downstream CTE baseline disagrees")
    down_ms = median_us(lambda: store.lineage(ref, "downstream", 20), 7, warmup=1) / 1000
    down_base = median_us(lambda: cte(ref, False), 7, warmup=1) / 1000
    report(
        f"lineage downstream of a shared reference, {label} (median)",
        down_ms,
        "ms",
        "plain recursive CTE, node keys only",
        down_base,
        note=f"{len(down.nodes):,} nodes, {len(down.edges):,} edges, {events:,} events",
        aim="<= 200 ms",
        met=down_ms <= 200,
    )
    store.close()


def pg_url(name: str = "trackline_bench_lineage") -> str | None:
    base = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    try:
        import psycopg

        admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
        admin.close()
    except Exception as exc:  # noqa: BLE001
        print(f"  PostgreSQL skipped: {exc}")
        return None
    return f"{base}/{name}"


def explain(url: str, label: str) -> None:
    """Print the plans of the closure's statements on the cached graph (docs/benchmarks.md)."""
    from trackline.store.sql.lineage import hop_sql, node_sql
    from trackline.store.sql.store import SqlStore

    store = SqlStore(url)
    pg = store.engine.dialect.name == "postgresql"
    raw = store.engine.raw_connection()
    cur = raw.cursor()
    cur.execute("SELECT seq FROM artifacts WHERE name = 'reference-7'")
    ref = cur.fetchone()[0]
    mark = "%s" if pg else "?"
    cur.execute(f"SELECT run_seq FROM events WHERE art_seq = {mark} AND direction = 'input'", [ref])
    runs = [r[0] for r in cur.fetchall()]
    cur.execute(
        f"SELECT art_seq FROM events WHERE run_seq IN ({', '.join(map(str, runs))})"
        " AND direction = 'output'"
    )
    arts = [r[0] for r in cur.fetchall()]
    keys = (lambda k: k) if pg else (lambda k: json.dumps(k))
    statements = [
        (f"hop from {len(runs):,} runs", hop_sql(pg, True), [keys(runs), "output"]),
        (f"hop from {len(arts):,} artifacts", hop_sql(pg, False), [keys(arts), "input"]),
        (f"{len(runs):,} run nodes", node_sql(pg, "task_run"), [keys(runs)]),
        (f"{len(arts):,} artifact nodes", node_sql(pg, "artifact"), [keys(arts)]),
    ]
    for title, sql, params in statements:
        print(f"-- {label}: {title}\n{sql}")
        if pg:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, params)
            # the frontier array, inlined by EXPLAIN, shown as the parameter it is
            print("\n".join(re.sub(r"'\{[^}]*\}'", "$1", r[0]) for r in cur.fetchall()))
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            print("\n".join(r[3] for r in cur.fetchall()))
        print()
    raw.close()
    store.close()


def main(pipelines: int = PIPELINES) -> None:
    from trackline.store.sql.migrate import head

    suffix = "" if pipelines == PIPELINES else f"-{pipelines}"
    db = data_dir() / f"lineage-{head()}{suffix}.db"
    bench(f"sqlite:///{db}", "SQLite", pipelines)
    url = pg_url("trackline_bench_lineage" + suffix.replace("-", "_"))
    if url:
        bench(url, "PostgreSQL", pipelines)


if __name__ == "__main__":
    import sys

    if "--explain" in sys.argv:  # after a run has built and cached the graph
        from trackline.store.sql.migrate import head

        explain(f"sqlite:///{data_dir() / f'lineage-{head()}.db'}", "SQLite")
        if url := pg_url():
            explain(url, "PostgreSQL")
    else:
        main(int(os.environ.get("BENCH_PIPELINES", PIPELINES)))
