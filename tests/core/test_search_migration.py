"""Migration 0008 on a store with history: params get their typed columns and every (run,
metric key) its latest/min/max row, so old runs are searchable like new ones."""

from __future__ import annotations

import sqlalchemy as sa

from trackline.query import Search
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore


def test_0008_backfills_typed_params_and_latest_metrics(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO task_runs (id, name, status, started_at) VALUES "
                "('a', 'train', 'success', CURRENT_TIMESTAMP), "
                "('b', 'train', 'success', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO params (task_run_id, key, value) VALUES "
                "('a', 'lr', '0.1'), ('b', 'lr', '\"0.1\"'), ('a', 'gpu', 'true'), "
                "('b', 'layers', '[1, 2]')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO metrics (id, task_run_id, key, value, step, timestamp) VALUES "
                "('m1', 'a', 'loss', 0.9, 0, CURRENT_TIMESTAMP), "
                "('m2', 'a', 'loss', 0.2, 2, CURRENT_TIMESTAMP), "
                "('m3', 'a', 'loss', 0.5, 1, CURRENT_TIMESTAMP), "
                "('m4', 'b', 'loss', 0.7, NULL, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    store = SqlStore(store_url)  # connecting upgrades to head
    try:

        def ids(where: str) -> list[str]:
            return [r["id"] for r in store.search_runs(Search(where=where)).rows]

        assert ids("params.lr = 0.1") == ["a"]
        assert ids("params.lr = '0.1'") == ["b"]
        assert ids("params.gpu = true") == ["a"]
        assert ids("params.layers = '[1,2]'") == ["b"]
        got = store.search_runs(
            Search(
                where="metrics.loss < 1",
                columns="metrics.loss, metrics.loss.min, metrics.loss.max",
                order_by="metrics.loss",
            )
        ).rows
        assert [(r["id"], r["metrics"]) for r in got] == [
            ("a", {"loss": 0.2, "loss.min": 0.2, "loss.max": 0.9}),
            ("b", {"loss": 0.7, "loss.min": 0.7, "loss.max": 0.7}),
        ]
    finally:
        store.close()
