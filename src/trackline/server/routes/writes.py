"""Writes: whole task runs (one request per finished task), pipeline runs, batches, heartbeats.

Every write is idempotent by the record's client-generated id: the SQL store merges a record it
already has, so a retried request or a replayed spool never duplicates anything.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from ...model.runs import PipelineRun, utcnow
from ..access import Role, allows
from ..auth import require
from ..context import get_ctx
from ..schemas import (
    BatchIn,
    BatchOut,
    ErrorBody,
    HeartbeatIn,
    ReapIn,
    ReapOut,
    TaskRunIn,
    WriteResult,
)

router = APIRouter(
    tags=["writes"],
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
WRITE = require(Role.WRITER)
READ = require(Role.READER, anonymous_read=True)


@router.post("/task-runs", response_model=WriteResult)
def write_task_run(run: TaskRunIn, request: Request, _=WRITE) -> WriteResult:
    """Insert or merge one task run with its params, artifacts, events and metrics (one
    transaction)."""
    get_ctx(request).store.write_task_run(run)
    return WriteResult(kind="task_run", id=run.id)


@router.post("/pipeline-runs", response_model=WriteResult)
def write_pipeline_run(run: PipelineRun, request: Request, _=WRITE) -> WriteResult:
    get_ctx(request).store.write_pipeline_run(run)
    return WriteResult(kind="pipeline_run", id=run.id)


@router.post("/batch", response_model=BatchOut)
def write_batch(batch: BatchIn, request: Request, _=WRITE) -> BatchOut:
    """Several records in one request; results in input order. A failure part-way leaves the
    records before it written, and resending the whole batch is safe."""
    store = get_ctx(request).store
    written: list[WriteResult] = []
    for p in batch.pipeline_runs:
        store.write_pipeline_run(p)
        written.append(WriteResult(kind="pipeline_run", id=p.id))
    for t in batch.task_runs:
        store.write_task_run(t)
        written.append(WriteResult(kind="task_run", id=t.id))
    return BatchOut(written=written)


@router.post("/heartbeat", status_code=204)
def heartbeat(beat: HeartbeatIn, request: Request, _=WRITE) -> None:
    """Extend the leases of running records."""
    get_ctx(request).store.heartbeat(beat.task_run_ids, beat.pipeline_run_ids, beat.at)


@router.post("/reap", response_model=ReapOut)
def reap(body: ReapIn, request: Request, principal=READ) -> ReapOut:
    """Mark runs whose lease expired as crashed.

    Listing runs reaps (``trackline runs`` calls this), so readers may too, but only under the
    server's own staleness policy; writers may pass an earlier or later ``stale_before``.
    """
    ctx = get_ctx(request)
    policy = utcnow() - timedelta(seconds=ctx.config.stale_after)
    stale_before = body.stale_before or policy
    if not allows(principal.role, Role.WRITER):
        stale_before = min(stale_before, policy)
    return ReapOut(reaped=ctx.store.reap(stale_before))
