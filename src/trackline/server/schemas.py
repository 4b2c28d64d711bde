"""Request and response bodies of the REST API (records themselves are ``trackline.model``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from ..model.runs import Artifact, PipelineRun, TaskRun
from .access import AuditEvent, TokenInfo

__all__ = [
    "MAX_BATCH",
    "AuditEvent",
    "BatchIn",
    "BatchOut",
    "RecordsIn",
    "RecordsOut",
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "HeartbeatIn",
    "NameFilter",
    "ReapIn",
    "ReapOut",
    "TaskRunIn",
    "TokenCreate",
    "TokenCreated",
    "TokenInfo",
    "WhoAmI",
    "WriteResult",
]

MAX_BATCH = 1000

# Names of pipelines and tasks: what DAG ids, flow names and Python qualnames use. Quotes, ';',
# '=', '%', '*' and backslashes never occur in them, so a filter containing them is refused
# with a clear message instead of being searched for.
_NAME_PATTERN = r"^[\w .:@+/<>\[\]()#,-]+$"
NameFilter = Annotated[
    str | None,
    Query(
        pattern=_NAME_PATTERN,
        max_length=512,
        description="Exact name; letters, digits, spaces and . : @ + / < > [ ] ( ) # , - only",
    ),
]


class ErrorDetail(BaseModel):
    code: str
    message: str
    errors: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class TaskRunIn(TaskRun):
    """A task run as a client sends it: with the full records of its input/output artifacts."""

    artifacts: list[Artifact] = Field(default_factory=list, max_length=10_000)


class WriteResult(BaseModel):
    kind: str  # "task_run", "pipeline_run", "drift_report" or "trigger_firing"
    id: str


class BatchIn(BaseModel):
    """Several records in one request, written in order (pipeline runs first)."""

    pipeline_runs: list[PipelineRun] = Field(default_factory=list, max_length=MAX_BATCH)
    task_runs: list[TaskRunIn] = Field(default_factory=list, max_length=MAX_BATCH)


class BatchOut(BaseModel):
    written: list[WriteResult]


class RecordIn(BaseModel):
    """One journaled record, as a client's spool file holds it."""

    kind: Literal["task_run", "pipeline_run"]
    record: dict[str, Any]


class RecordsIn(BaseModel):
    records: list[RecordIn] = Field(max_length=MAX_BATCH)


class RecordOutcome(BaseModel):
    kind: str
    id: str | None
    ok: bool
    error: ErrorDetail | None = None  # why this record was refused (the others still went in)


class RecordsOut(BaseModel):
    results: list[RecordOutcome]


class HeartbeatIn(BaseModel):
    task_run_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000
    )
    pipeline_run_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000
    )
    at: datetime


class ReapIn(BaseModel):
    stale_before: datetime | None = None


class ReapOut(BaseModel):
    reaped: list[str]


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    role: str


class TokenCreated(BaseModel):
    token: str  # shown this once only
    info: TokenInfo


class WhoAmI(BaseModel):
    name: str
    role: str
    anonymous: bool


class Health(BaseModel):
    status: str
    version: str
    store: str
    # What clients may send that earlier servers would not store ("metric_series").
    features: list[str] = ["metric_series"]
