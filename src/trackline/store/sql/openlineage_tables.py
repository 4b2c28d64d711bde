"""OpenLineage events the team server received, kept whole (unknown facets included).

The key (run id, event type, event time) makes a resent event a no-op; a run's record is
folded from all of its events, so their arrival order does not matter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String
from sqlmodel import Field, SQLModel

__all__ = ["OpenLineageEventRow"]


class OpenLineageEventRow(SQLModel, table=True):
    __tablename__ = "openlineage_events"
    __table_args__ = (Index("ix_openlineage_events_received", "received_at"),)
    run_id: str = Field(sa_column=Column(String(128), primary_key=True))
    event_type: str = Field(sa_column=Column(String(16), primary_key=True))
    event_time: str = Field(sa_column=Column(String(64), primary_key=True))
    received_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    job_namespace: str = Field(sa_column=Column(String(1024), nullable=False))
    job_name: str = Field(sa_column=Column(String(1024), nullable=False))
    payload: Any = Field(default=None, sa_column=Column(JSON))
