"""Tables of the SQL store (SQLModel over SQLAlchemy 2). Migrations in ``migrations/`` build them.

Lineage lives in ``events``: one row per (task run, artifact, direction, slot), indexed both
ways so a hop of a closure is one indexed set query, whatever the frontier size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Float, Index, Text, text
from sqlmodel import Field, SQLModel

__all__ = [
    "PipelineRunRow",
    "TaskRunRow",
    "ParamRow",
    "ArtifactRow",
    "EventRow",
    "MetricRow",
    "EnvironmentRow",
    "metadata",
]

metadata = SQLModel.metadata


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))


class PipelineRunRow(SQLModel, table=True):
    __tablename__ = "pipeline_runs"
    __table_args__ = (
        Index("ix_pipeline_runs_pipeline_started", "pipeline", "started_at"),
        Index(
            "ix_pipeline_runs_running",
            "status",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    pipeline: str = Field(max_length=512)
    status: str = Field(max_length=32)
    started_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    duration_s: float | None = None
    heartbeat_at: datetime | None = _ts()
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    config: dict | None = _json()
    external_ids: dict | None = _json()


class TaskRunRow(SQLModel, table=True):
    __tablename__ = "task_runs"
    __table_args__ = (
        Index("ix_task_runs_started", "started_at"),
        Index("ix_task_runs_pipeline_started", "pipeline", "started_at"),
        # Partial indexes: the reaper looks only at running rows, and most runs have no parent
        # or pipeline run; a finished run's insert then maintains three indexes, not six.
        Index(
            "ix_task_runs_pipeline_run",
            "pipeline_run_id",
            sqlite_where=text("pipeline_run_id IS NOT NULL"),
            postgresql_where=text("pipeline_run_id IS NOT NULL"),
        ),
        Index(
            "ix_task_runs_running",
            "status",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index(
            "ix_task_runs_parent",
            "parent_id",
            sqlite_where=text("parent_id IS NOT NULL"),
            postgresql_where=text("parent_id IS NOT NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=512)
    pipeline: str | None = Field(default=None, max_length=512)
    pipeline_run_id: str | None = Field(default=None, max_length=64)
    parent_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=32)
    started_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    duration_s: float | None = None
    heartbeat_at: datetime | None = _ts()
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    code_digest: str | None = Field(default=None, max_length=128)
    code: dict | None = _json()
    environment_digest: str | None = Field(default=None, max_length=128)
    resources: dict | None = _json()
    external_ids: dict | None = _json()
    error_type: str | None = Field(default=None, max_length=512)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    error_traceback: str | None = Field(default=None, sa_column=Column(Text))


class ParamRow(SQLModel, table=True):
    __tablename__ = "params"
    task_run_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=512)
    value: Any = _json()


class ArtifactRow(SQLModel, table=True):
    __tablename__ = "artifacts"
    __table_args__ = (
        Index("ix_artifacts_kind", "kind"),
        Index("ix_artifacts_name", "name"),
        # Location lookups (name ↔ content joins, migration 0011); hash: URIs can be long.
        Index("ix_artifacts_uri", "uri", postgresql_using="hash"),
    )
    digest: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=32)
    uri: str | None = Field(default=None, sa_column=Column(Text))
    name: str | None = Field(default=None, max_length=512)
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
    media_type: str | None = Field(default=None, max_length=255)
    rows: int | None = Field(default=None, sa_column=Column(BigInteger))
    columns: list | None = _json()
    profile: dict | None = _json()
    created_at: datetime | None = _ts()


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_artifact_direction", "artifact_digest", "direction"),)
    # The primary key's leading columns double as the (run, direction) index.
    task_run_id: str = Field(primary_key=True, max_length=64)
    direction: str = Field(primary_key=True, max_length=8)
    artifact_digest: str = Field(primary_key=True, max_length=128)
    slot: str = Field(primary_key=True, max_length=512)


class MetricRow(SQLModel, table=True):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_key", "task_run_id", "key"),)
    id: str = Field(primary_key=True, max_length=64)
    task_run_id: str = Field(max_length=64)
    key: str = Field(max_length=512)
    # NULL stands for NaN: SQLite cannot store NaN in a REAL column.
    value: float | None = Field(default=None, sa_column=Column(Float))
    step: int | None = Field(default=None, sa_column=Column(BigInteger))
    timestamp: datetime | None = _ts()


class EnvironmentRow(SQLModel, table=True):
    __tablename__ = "environments"
    digest: str = Field(primary_key=True, max_length=128)
    data: dict | None = _json()
    created_at: datetime | None = _ts()


# The team server's tables share this metadata (migration 0004).
from .access_tables import ApiTokenRow  # noqa: E402,F401
