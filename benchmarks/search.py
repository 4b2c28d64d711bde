"""Search at scale: N pipeline runs x 10 task runs, each task run with 10 params and 10 metrics
(2 steps each), on SQLite and PostgreSQL; MLflow 3 ``search_runs`` on 100,000 runs of its own
SQLite store as the baseline, measured in the same run.

The stores are bulk-loaded with plain DBAPI inserts of exactly the rows trackline's write path
produces (typed params, ``metric_latest``) — logging a million runs through any tracking API
would take hours. Usage: ``python search.py [pipeline_runs] [mlflow_runs]`` (defaults 100,000
and 100,000); ``BENCH_PG`` names a PostgreSQL server URL (default 127.0.0.1, empty skips).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from _common import report, workdir

TASKS = ["prep", "train", "evaluate"] + [f"step{i}" for i in range(3, 10)]
PIPELINES = ["churn"] + [f"pipe{i}" for i in range(1, 10)]
LRS = [0.001, 0.003, 0.01, 0.03, 0.06, 0.1, 0.3]
OPTS = ["adam", "sgd", "adamw", "rmsprop"]
METRICS = ["acc", "f1", "loss"] + [f"m{i}" for i in range(3, 10)]
STEPS = 2
SELECTIVE = ("params.lr > 0.05 and metrics.acc > 0.9", "metrics.acc desc")
BEST_OF = ("pipeline = 'churn' and params.train.lr > 0.01", "metrics.evaluate.f1 desc")
# MLflow compares params as strings with = != LIKE only (no ranges, no IN, no OR), so the
# side-by-side query is the equality form of the selective one, on both tools.
MLFLOW_FILTER = "params.lr = '0.1' and metrics.acc > 0.9"
EQUIVALENT = ("params.lr = 0.1 and metrics.acc > 0.9", "metrics.acc desc")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _params(rng: random.Random) -> dict:
    p = {"lr": rng.choice(LRS), "optimizer": rng.choice(OPTS), "depth": rng.randint(2, 12)}
    p.update({f"h{i}": round(rng.random(), 4) for i in range(3, 9)})
    p["seed"] = str(rng.randint(0, 10_000))  # a string that looks like a number
    return p


def rows(n_pipes: int, seed: int = 7):
    """Yield (pipeline row, [(task row, params, metrics)]) in id order."""
    rng = random.Random(seed)
    for i in range(n_pipes):
        pid = f"p{i:07d}"
        started = T0 + timedelta(seconds=i * 30)
        pipe = (pid, PIPELINES[i % len(PIPELINES)], "success", started, started + timedelta(10))
        tasks = []
        for j, name in enumerate(TASKS):
            tid = f"{pid}t{j}"
            t_start = started + timedelta(seconds=j)
            params = _params(rng)
            metrics = {}
            for k in METRICS:
                vals = [rng.random() for _ in range(STEPS)]
                metrics[k] = vals
            tasks.append(
                ((tid, name, pipe[1], pid, t_start, rng.uniform(0.1, 60.0)), params, metrics)
            )
        yield pipe, tasks


def _typed(v):
    if isinstance(v, bool):
        return None, None, v
    if isinstance(v, (int, float)):
        return float(v), None, None
    return None, str(v), None


def load_sqlite(path, n_pipes: int) -> None:
    import json
    import sqlite3

    from trackline.store.sql.store import SqlStore

    SqlStore(f"sqlite:///{path}").close()  # schema at head
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    # Secondary indexes are built once after the load (as CREATE INDEX would on a restore).
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('pipeline_runs', 'task_runs', 'params', 'metrics', 'metric_latest')"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    batch_p, batch_t, batch_par, batch_m, batch_l = [], [], [], [], []

    def flush():
        db.executemany(
            "INSERT INTO pipeline_runs (id, pipeline, status, started_at, ended_at) "
            "VALUES (?,?,?,?,?)",
            batch_p,
        )
        db.executemany(
            "INSERT INTO task_runs (id, name, pipeline, pipeline_run_id, status, started_at, "
            "duration_s, resources) VALUES (?,?,?,?,'success',?,?,?)",
            batch_t,
        )
        db.executemany(
            "INSERT INTO params (task_run_id, key, value, num_value, str_value, bool_value) "
            "VALUES (?,?,?,?,?,?)",
            batch_par,
        )
        db.executemany(
            "INSERT INTO metrics (id, task_run_id, key, value, step, timestamp) "
            "VALUES (?,?,?,?,?,?)",
            batch_m,
        )
        db.executemany(
            "INSERT INTO metric_latest (task_run_id, key, value, step, timestamp, min_value, "
            "max_value) VALUES (?,?,?,?,?,?,?)",
            batch_l,
        )
        db.commit()
        for b in (batch_p, batch_t, batch_par, batch_m, batch_l):
            b.clear()

    for pipe, tasks in rows(n_pipes):
        p = list(pipe)
        p[3], p[4] = p[3].strftime(fmt), p[4].strftime(fmt)
        batch_p.append(p)
        for (tid, name, pl, pid, st, dur), params, metrics in tasks:
            ts = st.strftime(fmt)
            res = json.dumps(
                {"cpu_user_s": dur / 2, "cpu_system_s": 0.1, "peak_rss_bytes": 1 << 20}
            )
            batch_t.append((tid, name, pl, pid, ts, dur, res))
            for k, v in params.items():
                batch_par.append((tid, k, json.dumps(v), *_typed(v)))
            for k, vals in metrics.items():
                for s, v in enumerate(vals):
                    batch_m.append((f"{tid}{k}{s}", tid, k, v, s, ts))
                batch_l.append((tid, k, vals[-1], len(vals) - 1, ts, min(vals), max(vals)))
        if len(batch_t) >= 20_000:
            flush()
    flush()
    for _, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.close()


def load_postgres(url: str, n_pipes: int) -> None:
    import json

    import psycopg

    from trackline.store.sql.store import SqlStore

    SqlStore(url).close()
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN "
        "('pipeline_runs', 'task_runs', 'params', 'metrics', 'metric_latest') "
        "AND indexname NOT LIKE '%pkey'"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    tables = {
        "pipeline_runs": "id, pipeline, status, started_at, ended_at",
        "task_runs": "id, name, pipeline, pipeline_run_id, status, started_at, duration_s, "
        "resources",
        "params": "task_run_id, key, value, num_value, str_value, bool_value",
        "metrics": "id, task_run_id, key, value, step, timestamp",
        "metric_latest": "task_run_id, key, value, step, timestamp, min_value, max_value",
    }
    bufs = {t: [] for t in tables}

    def flush():
        with conn.cursor() as cur:
            for t, cols in tables.items():
                if not bufs[t]:
                    continue
                with cur.copy(f"COPY {t} ({cols}) FROM STDIN") as cp:
                    for r in bufs[t]:
                        cp.write_row(r)
                bufs[t].clear()
        conn.commit()

    n = 0
    for pipe, tasks in rows(n_pipes):
        bufs["pipeline_runs"].append(pipe)
        for (tid, name, pl, pid, st, dur), params, metrics in tasks:
            res = json.dumps(
                {"cpu_user_s": dur / 2, "cpu_system_s": 0.1, "peak_rss_bytes": 1 << 20}
            )
            bufs["task_runs"].append((tid, name, pl, pid, "success", st, dur, res))
            for k, v in params.items():
                bufs["params"].append((tid, k, json.dumps(v), *_typed(v)))
            for k, vals in metrics.items():
                for s, v in enumerate(vals):
                    bufs["metrics"].append((f"{tid}{k}{s}", tid, k, v, s, st))
                bufs["metric_latest"].append(
                    (tid, k, vals[-1], len(vals) - 1, st, min(vals), max(vals))
                )
            n += 1
        if n >= 20_000:
            flush()
            n = 0
    flush()
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def _median_ms(fn, n: int = 7) -> tuple[float, object]:
    out = fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000, out


def trackline_queries(url: str, label: str, baseline: float | None) -> None:
    from trackline.query import Search
    from trackline.store.sql.store import SqlStore

    store = SqlStore(url)
    where, order = SELECTIVE
    ms, res = _median_ms(lambda: store.search_runs(Search(where=where, order_by=order, limit=10)))
    assert len(res.rows) == 10 and all(r["params"]["lr"] > 0.05 for r in res.rows)
    report(f"search {label}: selective top-10 (ms)", ms, "ms")
    where, order = EQUIVALENT
    ms, res = _median_ms(lambda: store.search_runs(Search(where=where, order_by=order, limit=10)))
    assert len(res.rows) == 10 and all(r["params"]["lr"] == 0.1 for r in res.rows)
    report(f"search {label}: MLflow-equivalent top-10 (ms)", ms, "ms", "mlflow 100k runs", baseline)
    where, order = BEST_OF
    ms, res = _median_ms(
        lambda: store.search_pipelines(Search(where=where, order_by=order, limit=10))
    )
    assert res.rows and res.rows[0]["pipeline"] == "churn"
    report(f"search {label}: pipeline best-of top-10 (ms)", ms, "ms")
    ms, res = _median_ms(
        lambda: store.search_runs(
            Search(
                where="pipeline = 'churn' and name = 'train'",
                group_by="name",
                agg="count, avg(duration), max(resources.peak_rss)",
            )
        ),
        n=3,
    )
    report(f"search {label}: group-by over 100k runs (ms)", ms, "ms")
    store.close()


def mlflow_baseline(n_runs: int) -> float | None:
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        print("mlflow not installed here (benchmarks/run.sh installs it in .venvs/bench)")
        return None
    import logging
    import sqlite3

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    d = workdir() / "search-mlflow"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    uri = f"sqlite:///{d / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("bench")
    db = sqlite3.connect(d / "mlflow.db")
    rng = random.Random(11)
    runs, params, metrics, latest = [], [], [], []
    ms0 = int(T0.timestamp() * 1000)
    for i in range(n_runs):
        rid = f"{i:032x}"
        runs.append(
            (
                rid,
                f"run{i}",
                "LOCAL",
                "",
                "",
                "bench",
                "FINISHED",
                ms0 + i,
                ms0 + i + 5,
                "",
                "active",
                f"file:///tmp/{rid}",
                exp,
            )
        )
        for k, v in _params(rng).items():
            params.append((k, str(v), rid))
        for k in METRICS:
            vals = [rng.random() for _ in range(STEPS)]
            for s, v in enumerate(vals):
                metrics.append((k, v, ms0 + i, rid, s, 0))
            latest.append((k, vals[-1], ms0 + i, STEPS - 1, 0, rid))
    db.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
        "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
        "experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        runs,
    )
    db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
    db.executemany(
        "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)",
        metrics,
    )
    db.executemany(
        "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "VALUES (?,?,?,?,?,?)",
        latest,
    )
    db.commit()
    db.close()
    client = MlflowClient(uri)
    ms, res = _median_ms(
        lambda: client.search_runs(
            [exp], MLFLOW_FILTER, order_by=["metrics.acc DESC"], max_results=10
        ),
        n=3,
    )
    assert len(res) == 10
    report(f"mlflow {mlflow.__version__} search_runs, {n_runs:,} runs, top-10 (ms)", ms, "ms")
    return ms


def main(n_pipes: int = 100_000, n_mlflow: int = 100_000) -> None:
    baseline = mlflow_baseline(n_mlflow) if n_mlflow else None
    d = workdir()
    path = d / f"search-{n_pipes}.db"
    if not path.exists():
        tmp = d / "search-loading.db"
        tmp.unlink(missing_ok=True)
        t = time.perf_counter()
        load_sqlite(tmp, n_pipes)
        tmp.rename(path)
        print(f"loaded SQLite ({n_pipes * 10:,} task runs) in {time.perf_counter() - t:.0f}s")
    trackline_queries(f"sqlite:///{path}", f"SQLite {n_pipes * 10:,} runs", baseline)
    pg = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    if pg:
        import psycopg

        name = f"tl_search_{n_pipes}"
        admin = psycopg.connect(pg, autocommit=True)
        have = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        url = pg.rsplit("/", 1)[0] + "/" + name
        if not have:
            admin.execute(f'CREATE DATABASE "{name}"')
            t = time.perf_counter()
            try:
                load_postgres(url, n_pipes)
            except BaseException:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                raise
            print(f"loaded PostgreSQL in {time.perf_counter() - t:.0f}s")
        admin.close()
        trackline_queries(url, f"PostgreSQL {n_pipes * 10:,} runs", baseline)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
