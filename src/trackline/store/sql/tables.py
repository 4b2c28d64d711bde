"""Tables of the SQL store (SQLModel over SQLAlchemy 2). Migrations in ``migrations/`` build them.

Lineage lives in ``events``: one row per (task run, artifact, direction, slot). Runs and
artifacts also carry an integer surrogate key ``seq`` (unique, assigned on insert: a PostgreSQL
sequence, on SQLite max + 1 inside the writer's ``BEGIN IMMEDIATE``); events repeat both ends'
``seq`` with one covering index per direction of travel, so a closure hop is an index-only set
query on integers (migration 0013).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "PipelineRunRow",
    "TaskRunRow",
    "ParamRow",
    "ArtifactRow",
    "EventRow",
    "MetricRow",
    "MetricSeriesRow",
    "MetricLatestRow",
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
        # (pipeline run, task name, start): a pipeline search reaches "the latest attempt of
        # task X in this pipeline run" in one seek (migration 0008 widened it from one column).
        Index(
            "ix_task_runs_pipeline_run_name",
            "pipeline_run_id",
            "name",
            "started_at",
            sqlite_where=text("pipeline_run_id IS NOT NULL"),
            postgresql_where=text("pipeline_run_id IS NOT NULL"),
        ),
        Index(
            "ix_task_runs_running",
            "status",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ux_task_runs_seq", "seq", unique=True),
        Index(
            "ix_task_runs_parent",
            "parent_id",
            sqlite_where=text("parent_id IS NOT NULL"),
            postgresql_where=text("parent_id IS NOT NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger))
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
    # Typed copies of ``value`` for search (migration 0008): a number, a string (short strings
    # and the JSON text of lists/dicts, up to PARAM_TEXT_MAX characters) or a boolean, so
    # ``params.lr > 0.01`` is one indexed range scan per key and params compare by type.
    __table_args__ = (
        Index("ix_params_key_num", "key", "num_value"),
        Index("ix_params_key_str", "key", "str_value"),
    )
    task_run_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=512)
    value: Any = _json()
    num_value: float | None = Field(default=None, sa_column=Column(Float))
    str_value: str | None = Field(default=None, sa_column=Column(Text))
    bool_value: bool | None = Field(default=None, sa_column=Column(Boolean))


class ArtifactRow(SQLModel, table=True):
    __tablename__ = "artifacts"
    __table_args__ = (
        Index("ix_artifacts_kind", "kind"),
        Index("ix_artifacts_name", "name"),
        Index("ux_artifacts_seq", "seq", unique=True),
        # Location lookups (name ↔ content joins, migration 0011); hash: URIs can be long.
        Index("ix_artifacts_uri", "uri", postgresql_using="hash"),
    )
    digest: str = Field(primary_key=True, max_length=128)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger))
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
    __table_args__ = (
        Index("ix_events_run_edges", "run_seq", "direction", "art_seq", "slot"),
        Index("ix_events_artifact_edges", "art_seq", "direction", "run_seq", "slot"),
    )
    # The primary key's leading columns double as the (run id, direction) index of get_run.
    task_run_id: str = Field(primary_key=True, max_length=64)
    direction: str = Field(primary_key=True, max_length=8)
    artifact_digest: str = Field(primary_key=True, max_length=128)
    slot: str = Field(primary_key=True, max_length=512)
    run_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    art_seq: int | None = Field(default=None, sa_column=Column(BigInteger))


class MetricRow(SQLModel, table=True):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_key", "task_run_id", "key"),)
    # Ids are scoped by run (migration 0009): another run's metric id can never collide.
    task_run_id: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    key: str = Field(max_length=512)
    # NULL stands for NaN: SQLite cannot store NaN in a REAL column.
    value: float | None = Field(default=None, sa_column=Column(Float))
    step: int | None = Field(default=None, sa_column=Column(BigInteger))
    timestamp: datetime | None = _ts()


class MetricSeriesRow(SQLModel, table=True):
    """Points of one metric key in columns, as the recorder logs them (migration 0014).

    ``metrics`` holds points written one record each (hand-built records, earlier clients);
    a run's history is both tables. The columns are JSON arrays of one entry per point: values
    (NaN and infinities as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``), steps (or
    null) and times in microseconds since 1970-01-01 UTC. The ``i``-th point reads back with id
    ``f"{id}.{i:06d}"``."""

    __tablename__ = "metric_series"
    __table_args__ = (Index("ix_metric_series_run_key", "task_run_id", "key"),)
    task_run_id: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    key: str = Field(max_length=512)
    n: int = Field(sa_column=Column(Integer, nullable=False))
    vals: str = Field(sa_column=Column(Text, nullable=False))
    steps: str = Field(sa_column=Column(Text, nullable=False))
    times: str = Field(sa_column=Column(Text, nullable=False))


class MetricLatestRow(SQLModel, table=True):
    """The last value (highest step, then newest) and the min/max of each (run, metric key).

    Maintained on write (migration 0008) so a search never aggregates the step history: a
    ``metrics.acc > 0.9`` filter or a best-of order is an index walk over ``(key, value)``.
    """

    __tablename__ = "metric_latest"
    __table_args__ = (Index("ix_metric_latest_key_value", "key", "value"),)
    task_run_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=512)
    value: float | None = Field(default=None, sa_column=Column(Float))
    step: int | None = Field(default=None, sa_column=Column(BigInteger))
    timestamp: datetime | None = _ts()
    min_value: float | None = Field(default=None, sa_column=Column(Float))
    max_value: float | None = Field(default=None, sa_column=Column(Float))


class EnvironmentRow(SQLModel, table=True):
    __tablename__ = "environments"
    digest: str = Field(primary_key=True, max_length=128)
    data: dict | None = _json()
    created_at: datetime | None = _ts()


# The team server's tables share this metadata (migration 0004).
from .access_tables import ApiTokenRow  # noqa: E402,F401
from .location_tables import ArtifactLocationRow, FolderFileRow  # noqa: E402,F401
