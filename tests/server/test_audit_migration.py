"""Migration 0005: server events recorded before it move into the hash-chained audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from trackline.audit import verify_audit
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore


def test_old_server_events_join_the_chain(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0004")
    events = sa.table(
        "server_audit_events",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor"),
        sa.column("action"),
        sa.column("target"),
        sa.column("outcome"),
        sa.column("detail", sa.JSON()),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.insert(events),
            [
                {
                    "at": datetime(2026, 1, 1, tzinfo=UTC),
                    "actor": "anonymous",
                    "action": "GET /api/v1/runs",
                    "target": None,
                    "outcome": "denied",
                    "detail": {"reason": "no token"},
                },
                {
                    "at": datetime(2026, 1, 2, tzinfo=UTC),
                    "actor": "admin-bot",
                    "action": "token.create",
                    "target": "ci",
                    "outcome": "allowed",
                    "detail": {"role": "writer"},
                },
            ],
        )
    engine.dispose()
    store = SqlStore(store_url)  # upgrades to head
    assert migrate.current(store.engine) == migrate.head()
    entries = store.audit_entries()
    assert [(e.seq, e.actor, e.action, e.data["outcome"]) for e in entries] == [
        (1, "anonymous", "GET /api/v1/runs", "denied"),
        (2, "admin-bot", "token.create", "allowed"),
    ]
    assert entries[0].data["reason"] == "no token" and entries[1].data["target"] == "ci"
    store.append_audit("model.verified", actor="me")  # the chain continues from the copied events
    report = verify_audit(store=store)
    assert report.ok and report.entries == 3, report.problems
    with store.engine.connect() as conn:
        assert "server_audit_events" not in sa.inspect(conn).get_table_names()
