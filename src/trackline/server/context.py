"""What every request handler needs: the store, the token table, the audit log, the config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request

from ..model.runs import utcnow
from ..store.sql.store import SqlStore
from .access import ServerAuditLog, TokenStore
from .config import ServerConfig

__all__ = ["ServerContext", "get_ctx"]


@dataclass
class ServerContext:
    config: ServerConfig
    store: SqlStore  # runs, registry, audit and monitoring in one database
    tokens: TokenStore
    audit: ServerAuditLog
    blobs: Any = None  # the artifact store (trackline.blobs) the blob routes stream from

    def stale_before(self) -> datetime:
        """The server's reaping policy: a ``running`` run whose last heartbeat is older than
        this has crashed."""
        return utcnow() - timedelta(seconds=self.config.stale_after)


def get_ctx(request: Request) -> ServerContext:
    return request.app.state.ctx
