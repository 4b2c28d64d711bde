"""The server's one seam to the audit log: ``ServerAuditLog.record`` is called for every denied
request and every privileged action, with the token's name as actor.

LEAD (merge): the hash-chained log lives in ``trackline.audit`` (issue 5's branch). Until that
lands, events are appended to this branch's own ``server_audit_events`` table. At merge, make
``record`` append through ``trackline.audit`` and ``list`` read from it; the server only ever
calls these two methods.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from ...records import utcnow
from ...store.sql.access_tables import ServerAuditRow
from ...store.sql.dialect import utc

__all__ = ["AuditEvent", "ServerAuditLog"]

log = logging.getLogger("trackline.server.audit")
T = ServerAuditRow.__table__


class AuditEvent(BaseModel):
    id: int | None = None
    at: datetime
    actor: str
    action: str
    target: str | None = None
    outcome: str  # "allowed" or "denied"
    detail: dict[str, Any] | None = None


class ServerAuditLog:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(self, actor: str, action: str, *, target: str | None = None,
               outcome: str = "allowed", detail: dict[str, Any] | None = None) -> None:
        row = {"at": utcnow(), "actor": actor[:255], "action": action[:128],
               "target": target[:512] if target else None, "outcome": outcome, "detail": detail}
        with self.engine.connect().execution_options(trackline_write=True) as conn, conn.begin():
            conn.execute(sa.insert(T), row)
        log.info("audit %s %s %s %s", outcome, actor, action, target or "")

    def list(self, *, limit: int = 100, actor: str | None = None, action: str | None = None,
             outcome: str | None = None) -> list[AuditEvent]:
        stmt = sa.select(T).order_by(T.c.id.desc()).limit(limit)
        if actor:
            stmt = stmt.where(T.c.actor == actor)
        if action:
            stmt = stmt.where(T.c.action == action)
        if outcome:
            stmt = stmt.where(T.c.outcome == outcome)
        with self.engine.connect() as conn:
            return [AuditEvent(id=r.id, at=utc(r.at), actor=r.actor, action=r.action, target=r.target,
                               outcome=r.outcome, detail=r.detail) for r in conn.execute(stmt)]
