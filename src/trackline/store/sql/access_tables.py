"""Tables of the team server's access control: API tokens (hashed) and the server's audit events.

Built by migration ``0004_access_tokens``; used by ``trackline.server.access``. They live with
the other tables (and in the same metadata) so a store that serves a team keeps its tokens next
to the records they protect, and the migration check sees them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer
from sqlmodel import Field, SQLModel

__all__ = ["ApiTokenRow", "ServerAuditRow"]


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_name", "name"),)
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=255)
    role: str = Field(max_length=16)
    # sha256 of the secret: tokens are 256-bit random, so a fast hash cannot be brute-forced.
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: str | None = Field(default=None, max_length=255)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ServerAuditRow(SQLModel, table=True):
    """Plain append-only audit rows; see ``trackline/server/access/audit.py`` for how this hands
    over to ``trackline.audit`` (the hash-chained log) at merge."""

    __tablename__ = "server_audit_events"
    __table_args__ = (Index("ix_server_audit_events_at", "at"),)
    # BigInteger on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True))
    at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=255)
    action: str = Field(max_length=128)
    target: str | None = Field(default=None, max_length=512)
    outcome: str = Field(max_length=16)
    detail: Any = Field(default=None, sa_column=Column(JSON))
