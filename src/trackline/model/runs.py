"""The data model as pydantic records: what capture produces, stores keep and queries return.

These are plain values (no database sessions attached), so the same objects travel through the
SQL store, the spool, the HTTP store and the CLI's ``--json`` output.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_serializer

from ..errors import InvalidInput
from .trusted import constructor

__all__ = [
    "RunStatus",
    "TERMINAL",
    "ArtifactKind",
    "ColumnInfo",
    "Artifact",
    "ArtifactRef",
    "Metric",
    "json_float",
    "MetricSeries",
    "SERIES_MAX",
    "point_time",
    "point_micros",
    "point_id",
    "as_time",
    "ResourceSample",
    "ResourceUsage",
    "Environment",
    "ErrorInfo",
    "CodeRef",
    "TaskRun",
    "PipelineRun",
    "MONITORING_PREFIX",
    "RunQuery",
    "LineageNode",
    "LineageEdge",
    "LineageGraph",
    "LineageGroup",
    "FolderFile",
    "ArtifactLocation",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CRASHED = "crashed"
    SKIPPED = "skipped"
    UP_FOR_RETRY = "up_for_retry"
    CANCELLED = "cancelled"


TERMINAL = frozenset(s.value for s in RunStatus if s not in (RunStatus.RUNNING,))


class ArtifactKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    DATASET = "dataset"
    MODEL = "model"
    VALUE = "value"
    BLOB = "blob"
    OBJECT = "object"
    OPAQUE = "opaque"
    TABLE = "table"
    URI = "uri"
    METRICS = "metrics"
    REPORT = "report"


class _Record(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="strings", populate_by_name=True)


class ColumnInfo(_Record):
    name: str
    dtype: str


class FolderFile(_Record):
    """One file of a folder artifact's manifest (path relative to the folder, POSIX form)."""

    path: str
    digest: str
    size_bytes: int | None = None


class Artifact(_Record):
    """A piece of data identified by the digest of its content (or of its normalized URI)."""

    digest: str
    kind: str
    uri: str | None = None
    name: str | None = None
    size_bytes: int | None = None
    media_type: str | None = None
    rows: int | None = None
    columns: list[ColumnInfo] | None = None
    profile: dict[str, Any] | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # A folder's manifest (first ``MANIFEST_MAX_FILES`` files); written with the run, kept in
    # its own table, not returned by artifact reads (ask the store for ``folder_manifest``).
    files: list[FolderFile] | None = None
    file_count: int | None = None


class ArtifactLocation(_Record):
    """One observation of bytes at a place: which run read or wrote them there, and when.
    ``run_id`` is None (and ``direction`` "registered") for a model registered from a path."""

    digest: str
    uri: str
    run_id: str | None = None
    direction: str
    seen_at: datetime | None = None


class ArtifactRef(_Record):
    """One edge between a task run and an artifact, as a run shows it (slot name + artifact)."""

    name: str
    digest: str
    kind: str
    uri: str | None = None


class Metric(_Record):
    key: str
    value: float
    step: int | None = None
    timestamp: datetime = Field(default_factory=utcnow)
    id: str | None = None  # client-generated, makes replays idempotent

    @field_serializer("value")
    def _ser_value(self, v: float) -> float | str:
        return json_float(v)


def json_float(v: float) -> float | str:
    """``v``, or the text JSON carries for it where JSON has no number (``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``: what records send with ``ser_json_inf_nan="strings"``)."""
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def point_time(micros: int) -> datetime:
    """A series point's time (microseconds since 1970-01-01 UTC) as a UTC datetime."""
    return _EPOCH + timedelta(microseconds=micros)


def point_micros(when: datetime) -> int:
    """The inverse of ``point_time``; a naive time means UTC."""
    delta = (when if when.tzinfo is not None else when.replace(tzinfo=UTC)) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def point_id(series_id: str, i: int) -> str:
    """The id the ``i``-th point of a series reads back with (fixed width: ids sort as the
    points were logged)."""
    return f"{series_id}.{i:06d}"


_WHEN = TypeAdapter(datetime)


def as_time(value: Any, what: str) -> datetime:
    """A caller's time argument — a datetime or ISO text, naive meaning UTC — as an aware
    datetime; anything else is ``InvalidInput`` naming the argument."""
    try:
        when = _WHEN.validate_python(value)
    except ValidationError:
        raise InvalidInput(
            f"{what} must be a time (a datetime or ISO text); {value!r:.80} is not a time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# Points per series record: a long run's series is split, so one stored row stays a few hundred
# kilobytes and a point's place in it fits the fixed width of its read-back id.
SERIES_MAX = 10_000


class MetricSeries(_Record):
    """Points of one metric key in columns, as the recorder writes them: no record per point.

    Stored as one row of ``metric_series``; reads return its points in ``TaskRun.metrics``,
    the ``i``-th with id ``f"{id}.{i:06d}"``. ``values``, ``steps`` and ``times`` (microseconds
    since 1970-01-01 UTC) have one entry per point."""

    id: str  # client-generated, makes replays idempotent
    key: str
    values: list[float]
    steps: list[int | None]
    times: list[int]

    def points(self) -> list[Metric]:
        sid, key, epoch, delta = self.id, self.key, _EPOCH, timedelta  # point_time, inlined
        metric = constructor(Metric)
        return [
            metric(
                {
                    "key": key,
                    "value": v,
                    "step": s,
                    "timestamp": epoch + delta(microseconds=t),
                    "id": point_id(sid, i),
                },
            )
            for i, (v, s, t) in enumerate(zip(self.values, self.steps, self.times))
        ]


class ResourceSample(_Record):
    t: float  # seconds since the run started
    cpu_percent: float
    rss_bytes: int


class ResourceUsage(_Record):
    cpu_user_s: float = 0.0
    cpu_system_s: float = 0.0
    peak_rss_bytes: int = 0
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    gpu: dict[str, Any] | None = None  # {"available": False} when no NVML device
    samples: list[ResourceSample] = Field(default_factory=list)


class Environment(_Record):
    digest: str
    python: str
    platform: str
    hostname: str
    cpu_count: int | None = None
    memory_bytes: int | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    packages_digest: str
    git_commit: str | None = None
    git_branch: str | None = None
    git_dirty: bool | None = None
    git_root: str | None = None
    env_vars: dict[str, str] = Field(default_factory=dict)
    accelerators: list[dict[str, Any]] = Field(default_factory=list)


class ErrorInfo(_Record):
    type: str
    message: str
    traceback: str | None = None


class CodeRef(_Record):
    module: str | None = None
    qualname: str | None = None
    file: str | None = None
    module_digest: str | None = None
    source: str | None = None  # the function's source text (bounded; TRACKLINE_CAPTURE_SOURCE=0)


class TaskRun(_Record):
    """One execution of one step. Written whole when the step ends (one transaction)."""

    id: str
    name: str
    pipeline: str | None = None
    pipeline_run_id: str | None = None
    parent_id: str | None = None
    status: str = RunStatus.RUNNING.value
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    duration_s: float | None = None
    heartbeat_at: datetime | None = None
    host: str | None = None
    pid: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[ArtifactRef] = Field(default_factory=list)
    outputs: list[ArtifactRef] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    # What the recorder writes: points in columns per key. Reads return every point in
    # ``metrics`` and leave this empty.
    metric_series: list[MetricSeries] = Field(default_factory=list)
    resources: ResourceUsage | None = None
    environment: Environment | None = None
    code_digest: str | None = None
    code: CodeRef | None = None
    external_ids: dict[str, Any] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    # Full artifact records for inputs/outputs; filled on write, empty on read.
    artifacts: list[Artifact] = Field(default_factory=list, exclude=True)

    def all_metrics(self) -> list[Metric]:
        """Every point this record carries: ``metrics`` and the points of ``metric_series``."""
        if not self.metric_series:
            return self.metrics
        return [*self.metrics, *(m for s in self.metric_series for m in s.points())]


class PipelineRun(_Record):
    id: str
    pipeline: str
    status: str = RunStatus.RUNNING.value
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    duration_s: float | None = None
    heartbeat_at: datetime | None = None
    host: str | None = None
    pid: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    external_ids: dict[str, Any] = Field(default_factory=dict)


class RunQuery(_Record):
    """Options of a run listing (one object, so new filters don't change signatures)."""

    pipeline: str | None = None
    pipeline_run_id: str | None = None
    status: str | None = None
    name: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(default=100, ge=1, le=100_000)
    order: Literal["newest", "oldest"] = "newest"
    # False: leave out trackline's own monitoring runs (names starting MONITORING_PREFIX,
    # e.g. the ``trackline.drift`` checks), so a listing shows the pipeline's runs.
    monitoring: bool = True


MONITORING_PREFIX = "trackline."


class LineageNode(_Record):
    id: str
    type: Literal["task_run", "artifact"]
    name: str | None = None
    kind: str | None = None
    status: str | None = None
    uri: str | None = None
    pipeline_run_id: str | None = None
    started_at: datetime | None = None


class LineageEdge(_Record):
    source: str
    target: str
    # input/output: a run read/wrote an artifact; contains: a folder (source) held a file's bytes
    # (target) in its manifest; location: two artifacts seen at one location (a name-identified
    # table or file and the content a trackline task read or wrote there).
    type: Literal["input", "output", "contains", "location"]
    name: str | None = None  # slot
    # How the edge's artifact is identified: by content digest, or by name (its location).
    by: Literal["digest", "name"] = "digest"


class LineageGroup(_Record):
    """Runs that produced the same artifact under the same task name: drawn as one node."""

    artifact: str
    name: str
    runs: list[str]  # runs of the asked pipeline run first, then newest first
    newest: str


class LineageGraph(_Record):
    root: str
    direction: str
    depth: int | None
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    groups: list[LineageGroup] = Field(default_factory=list)
