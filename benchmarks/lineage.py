"""Lineage closure on a synthetic graph of ~1,000,000 edges (SQLite and PostgreSQL).

Shape (after MLMD's benchmark): chains of 10 steps; each step reads the previous step's output and
one of 50 shared reference datasets, and writes one artifact. Baseline: one plain recursive CTE
over the same indexed tables, fetching the same rows, measured in the same run.
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa
from _common import median_us, report, workdir

STEPS, REFS = 10, 50
EDGES_PER_CHAIN = STEPS * 3 - 1


def _walk_sql(upstream: bool) -> str:
    """One plain recursive CTE over the same indexed tables: upstream from a run (its inputs,
    their producers, ...) or downstream from an artifact (its readers, what they wrote, ...).
    It returns node ids only; trackline also returns every edge and each node's name/kind/status."""
    from_run, from_artifact = ("input", "output") if upstream else ("output", "input")
    return f"""
WITH RECURSIVE walk(node, is_run, depth) AS (
  SELECT CAST(:root AS VARCHAR), {1 if upstream else 0}, 0
  UNION
  SELECT CASE WHEN w.is_run = 1 THEN e.artifact_digest ELSE e.task_run_id END,
         1 - w.is_run, w.depth + 1
  FROM walk w JOIN events e
    ON (w.is_run = 1 AND e.task_run_id = w.node AND e.direction = '{from_run}')
    OR (w.is_run = 0 AND e.artifact_digest = w.node AND e.direction = '{from_artifact}')
  WHERE w.depth < :depth
)
SELECT DISTINCT node, is_run FROM walk
"""


def _rows(chains: int):
    runs, arts, events = [], [], []
    for r in range(REFS):
        arts.append((f"ref{r:061d}", "dataset"))
    for c in range(chains):
        prev = None
        for s in range(STEPS):
            run = f"r{c:08d}s{s:02d}"
            out = f"a{c:08d}s{s:02d}" + "0" * 52
            runs.append((run, f"step{s}", "success"))
            arts.append((out, "dataset"))
            events.append((run, "output", out, "return"))
            events.append((run, "input", f"ref{(c * STEPS + s) % REFS:061d}", "reference"))
            if prev:
                events.append((run, "input", prev, "data"))
            prev = out
    return runs, arts, events


def _load(engine: sa.Engine, chains: int) -> None:
    runs, arts, events = _rows(chains)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy("COPY task_runs (id, name, status) FROM STDIN") as cp:
                for r in runs:
                    cp.write_row(r)
            with cur.copy("COPY artifacts (digest, kind) FROM STDIN") as cp:
                for a in arts:
                    cp.write_row(a)
            with cur.copy(
                "COPY events (task_run_id, direction, artifact_digest, slot) FROM STDIN"
            ) as cp:
                for e in events:
                    cp.write_row(e)
        else:
            cur.execute("BEGIN")
            cur.executemany("INSERT INTO task_runs (id, name, status) VALUES (?, ?, ?)", runs)
            cur.executemany("INSERT INTO artifacts (digest, kind) VALUES (?, ?)", arts)
            cur.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
            cur.execute("COMMIT")
        raw.commit()
        cur.close()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def bench(url: str, label: str, edges: int) -> None:
    from trackline.store.sql.store import SqlStore

    store = SqlStore(url)
    chains = edges // EDGES_PER_CHAIN
    with store.engine.connect() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM events")).scalar()
    if have != chains * EDGES_PER_CHAIN:
        with store.engine.begin() as conn:  # a graph of another size from an earlier run
            for table in ("events", "task_runs", "artifacts"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        t = time.perf_counter()
        _load(store.engine, chains)
        print(
            f"  loaded {chains * EDGES_PER_CHAIN:,} edges into {label}"
            f" in {time.perf_counter() - t:.0f}s"
        )
    last = f"r{chains // 2:08d}s{STEPS - 1:02d}"
    graph = store.lineage(last, "upstream", 20)
    expected_runs = STEPS
    got_runs = sum(1 for n in graph.nodes if n.type == "task_run")
    if got_runs != expected_runs:
        raise SystemExit(
            f"{label}: upstream closure found {got_runs} runs, expected {expected_runs}"
        )

    def cte():
        with store.engine.connect() as conn:
            return conn.execute(
                sa.text(_walk_sql(upstream=True)), {"root": last, "depth": 20}
            ).all()

    if sum(1 for _, is_run in cte() if is_run) != expected_runs:
        raise SystemExit(f"{label}: the CTE baseline disagrees")
    up = median_us(lambda: store.lineage(last, "upstream", 20), 5, warmup=1) / 1000
    report(
        f"lineage upstream depth 20, {chains * EDGES_PER_CHAIN:,} edges, {label}",
        up,
        "ms",
        "plain recursive CTE (same rows)",
        median_us(cte, 5, warmup=1) / 1000,
    )
    ref = f"ref{7:061d}"
    t = time.perf_counter()
    down = store.lineage(ref, "downstream", 20)
    took = (time.perf_counter() - t) * 1000

    def cte_down():
        with store.engine.connect() as conn:
            return conn.execute(
                sa.text(_walk_sql(upstream=False)), {"root": ref, "depth": 20}
            ).all()

    t = time.perf_counter()
    rows = cte_down()
    base = (time.perf_counter() - t) * 1000
    if len({node for node, _ in rows}) != len(down.nodes):
        raise SystemExit(
            f"{label}: the downstream CTE baseline found {len(rows)} nodes, "
            f"trackline {len(down.nodes)}"
        )
    report(
        f"lineage downstream of a shared dataset, {label}",
        took,
        "ms",
        "plain recursive CTE (node ids only)",
        base,
        note=f"{len(down.nodes):,} nodes, {len(down.edges):,} edges",
    )
    store.close()


def main(edges: int = 1_000_000) -> None:
    bench(f"sqlite:///{workdir() / 'lineage.db'}", "SQLite", edges)
    pg = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/trackline_bench")
    try:
        import psycopg

        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'trackline_bench'"
        ).fetchone():
            admin.execute("CREATE DATABASE trackline_bench")
        admin.close()
    except Exception as exc:  # noqa: BLE001
        print(f"  PostgreSQL skipped: {exc}")
        return
    bench(pg, "PostgreSQL", edges)


if __name__ == "__main__":
    main(int(os.environ.get("BENCH_EDGES", "1000000")))
