"""A store created at revision 0001 and holding data is upgraded by 0002 without losing anything."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

import trackline
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore


def test_upgrade_from_0001_keeps_data(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0001")
    assert migrate.current(engine) == "0001"
    t0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO task_runs (id, name, status, started_at, ended_at, code_digest) "
                "VALUES ('run-1', 'train', 'success', :t, :t, 'code-1')"
            ),
            {"t": t0},
        )
        conn.execute(
            sa.text(
                "INSERT INTO artifacts (digest, kind, name, created_at) VALUES "
                "(:m, 'model', NULL, :t), (:d, 'dataset', 'train', :t)"
            ),
            {"m": "a" * 64, "d": "b" * 64, "t": t0},
        )
        conn.execute(
            sa.text(
                "INSERT INTO events (task_run_id, direction, artifact_digest, slot) VALUES "
                "('run-1', 'input', :d, 'data'), ('run-1', 'output', :m, 'return')"
            ),
            {"m": "a" * 64, "d": "b" * 64},
        )
        conn.execute(
            sa.text("INSERT INTO params (task_run_id, key, value) VALUES ('run-1', 'lr', '0.1')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO metrics (id, task_run_id, key, value, timestamp) "
                "VALUES ('m-1', 'run-1', 'loss', 0.25, :t)"
            ),
            {"t": t0},
        )
    migrate.upgrade(engine, "0002")
    assert migrate.current(engine) == "0002"
    engine.dispose()

    store = SqlStore(store_url)
    run = store.get_run("run-1")
    assert (run.name, run.status, run.params, run.code_digest) == (
        "train",
        "success",
        {"lr": 0.1},
        "code-1",
    )
    assert [(m.key, m.value) for m in run.metrics] == [("loss", 0.25)]
    assert {(i.name, i.digest) for i in run.inputs} == {("data", "b" * 64)}
    assert store.audit_head() == (0, "0" * 64)
    # The old run's model can be registered and gated on its recorded lineage.
    mv = trackline.register_model("legacy", "a" * 64, run="run-1", store=store)
    assert (mv.version, mv.run_id) == (1, "run-1")
    from trackline.gates import parse_policy

    decision = trackline.check_gate(
        "legacy/1", parse_policy({"name": "l", "rules": [{"require_lineage": True}]}), store=store
    )
    assert decision.passed, decision.results
    assert trackline.verify_audit(store=store).ok
    store.close()
