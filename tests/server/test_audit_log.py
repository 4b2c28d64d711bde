"""Reading the audit log the way the UI and ``GET /audit`` do: filtered in SQL, paged backwards."""

from __future__ import annotations

from trackline.server.access.audit import ServerAuditLog
from trackline.store.sql.store import SqlStore


def test_filters_run_in_the_store_and_outcome_pages_backwards(store_url):
    store = SqlStore(store_url)
    log = ServerAuditLog(store)
    log.record("anonymous", "GET /api/v1/runs", outcome="denied", detail={"reason": "no token"})
    log.record("reader-bot", "POST /api/v1/task-runs", outcome="denied")
    for i in range(1200):  # more than one page (500) of allowed events after the denials
        log.record("writer-bot" if i % 2 else "admin-bot", "token.create", target=f"t{i}")
    log.record("approver-bot", "GET /api/v1/tokens", outcome="denied")

    denied = log.list(outcome="denied", limit=10)
    assert [(e.actor, e.outcome) for e in denied] == [
        ("approver-bot", "denied"),
        ("reader-bot", "denied"),
        ("anonymous", "denied"),
    ]
    assert [e.seq for e in log.list(outcome="denied", limit=2)] == [e.seq for e in denied[:2]]

    newest_admin = log.list(actor="admin-bot", limit=3)
    assert [e.target for e in newest_admin] == ["t1198", "t1196", "t1194"]
    assert log.list(actor="writer-bot", action="token.create", outcome="denied", limit=5) == []

    older = store.audit_entries(actor="writer-bot", limit=2, before=newest_admin[-1].seq)
    assert [e.data["target"] for e in older] == ["t1191", "t1193"]  # sequence order
    assert {e.action for e in store.audit_entries(action="GET /api/v1/tokens")} == {
        "GET /api/v1/tokens"
    }
