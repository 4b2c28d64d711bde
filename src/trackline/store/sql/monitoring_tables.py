"""Tables of monitoring: drift reports (linked to their artifacts), trigger episodes and firings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, String
from sqlmodel import Field, SQLModel

__all__ = ["DriftReportArtifactRow", "DriftReportRow", "MonitorEpisodeRow", "TriggerFiringRow"]


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class DriftReportRow(SQLModel, table=True):
    __tablename__ = "drift_reports"
    __table_args__ = (Index("ix_drift_reports_created", "created_at"),)
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    created_at: datetime | None = _ts()
    drifted: bool = Field(sa_column=Column(Boolean, nullable=False))
    share: float = Field(sa_column=Column(Float, nullable=False))
    reference_ref: str = Field(sa_column=Column(String(1024), nullable=False))
    current_ref: str = Field(sa_column=Column(String(1024), nullable=False))
    run_id: str | None = Field(default=None, sa_column=Column(String(64)))
    report_digest: str | None = Field(default=None, sa_column=Column(String(128)))
    data: dict | None = Field(default=None, sa_column=Column(JSON))


class DriftReportArtifactRow(SQLModel, table=True):
    """Which artifacts a report compared, indexed by artifact for "reports about X"."""

    __tablename__ = "drift_report_artifacts"
    __table_args__ = (Index("ix_drift_report_artifacts_digest", "artifact_digest"),)
    report_id: str = Field(sa_column=Column(String(64), primary_key=True))
    role: str = Field(sa_column=Column(String(16), primary_key=True))
    artifact_digest: str = Field(sa_column=Column(String(128), primary_key=True))


class MonitorEpisodeRow(SQLModel, table=True):
    """One row per trigger condition: the episode open now (if any). Compare-and-set target."""

    __tablename__ = "monitor_episodes"
    key: str = Field(sa_column=Column(String(512), primary_key=True))
    episode: str | None = Field(default=None, sa_column=Column(String(64)))
    opened_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()


class TriggerFiringRow(SQLModel, table=True):
    __tablename__ = "trigger_firings"
    __table_args__ = (Index("ix_trigger_firings_policy_rule", "policy", "rule", "created_at"),)
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    key: str = Field(sa_column=Column(String(512), nullable=False, unique=True))
    policy: str = Field(sa_column=Column(String(512), nullable=False))
    rule: str = Field(sa_column=Column(String(512), nullable=False))
    episode: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(sa_column=Column(String(32), nullable=False))
    created_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    data: dict | None = Field(default=None, sa_column=Column(JSON))
