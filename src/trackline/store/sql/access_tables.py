"""The table of the team server's access control: API tokens (hashed).

Built by migration ``0004_access_tokens`` (whose ``server_audit_events`` table ``0005`` dropped:
server events now go to the hash-chained audit log); used by ``trackline.server.access``.
It lives with
the other tables (and in the same metadata) so a store that serves a team keeps its tokens next
to the records they protect, and the migration check sees them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

__all__ = ["ApiTokenRow"]


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        Index("ix_api_tokens_name", "name"),
        # Names of active tokens are unique even under concurrent creators (migration 0009).
        Index(
            "ux_api_tokens_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=255)
    role: str = Field(max_length=16)
    # sha256 of the secret: tokens are 256-bit random, so a fast hash cannot be brute-forced.
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: str | None = Field(default=None, max_length=255)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
