"""Several writer processes through the server (two uvicorn workers) into one PostgreSQL:
nothing lost, nothing duplicated."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from trackline.store.sql.engine import create_engine

from .harness import HERE, base_env

WRITERS, TASKS, BATCHED = 4, 15, 10


def test_concurrent_writers_lose_and_duplicate_nothing(server, tmp_path):
    procs = []
    for i in range(WRITERS):
        env = base_env(
            tmp_path / f"w{i}",
            TRACKLINE_STORE=server.url,
            TRACKLINE_TOKEN=server.tokens["writer"],
            TRACKLINE_STRICT="1",
        )  # strict: a failed write fails the writer, not the spool
        procs.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "load_writer.py"), str(i), str(TASKS), str(BATCHED)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err
    engine = create_engine(server.store)
    try:
        with engine.connect() as conn:
            for i in range(WRITERS):
                pipeline = f"load-{i}"
                runs = conn.execute(
                    sa.text(
                        "SELECT name, count(*) FROM task_runs WHERE pipeline = :p GROUP BY name"
                    ),
                    {"p": pipeline},
                ).all()
                assert dict(runs) == {"work": TASKS, "batched": BATCHED}, pipeline
                points = conn.execute(  # tracked tasks' points, kept as series
                    sa.text(
                        "SELECT coalesce(sum(s.n), 0), count(DISTINCT s.id) FROM metric_series s"
                        " JOIN task_runs t ON t.id = s.task_run_id WHERE t.pipeline = :p"
                    ),
                    {"p": pipeline},
                ).one()
                assert points[0] == 3 * TASKS and TASKS <= points[1] <= points[0]
                sent = conn.execute(  # the explicit records' metrics, sent twice at once
                    sa.text(
                        "SELECT count(*), count(DISTINCT m.id) FROM metrics m"
                        " JOIN task_runs t ON t.id = m.task_run_id WHERE t.pipeline = :p"
                    ),
                    {"p": pipeline},
                ).one()
                assert tuple(sent) == (3 * BATCHED,) * 2
                statuses = (
                    conn.execute(
                        sa.text("SELECT DISTINCT status FROM task_runs WHERE pipeline = :p"),
                        {"p": pipeline},
                    )
                    .scalars()
                    .all()
                )
                assert statuses == ["success"]
                pipes = (
                    conn.execute(
                        sa.text("SELECT status FROM pipeline_runs WHERE pipeline = :p"),
                        {"p": pipeline},
                    )
                    .scalars()
                    .all()
                )
                assert pipes == ["success"]
    finally:
        engine.dispose()
    for i in range(WRITERS):  # strict mode and no spool: every record went through the server
        assert not list((tmp_path / f"w{i}").rglob("spool/*/*.json"))
