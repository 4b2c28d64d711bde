"""What every request handler needs: the store, the token table, the audit log, the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

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


def get_ctx(request: Request) -> ServerContext:
    return request.app.state.ctx
