"""Writes: whole task runs, pipeline runs, batches, a client journal's records, heartbeats.

Every write is idempotent by the record's client-generated id: the SQL store merges a record it
already has, so a retried request or a replayed spool never duplicates anything.

``POST /records`` is where client journals deliver: one transaction per request and an outcome
per record, so one refused record (invalid, over a limit, a rewrite of a finished run) is
reported back for the client to quarantine while the others go in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from ...errors import Conflict, InvalidInput, TracklineError
from ...model.limits import check_pipeline_run, check_task_run
from ...model.runs import PipelineRun, TaskRun
from ..access import Role, allows
from ..auth import require
from ..context import get_ctx
from ..errors import store_refusal, validation_summary
from ..schemas import (
    BatchIn,
    BatchOut,
    ErrorBody,
    ErrorDetail,
    HeartbeatIn,
    ReapIn,
    ReapOut,
    RecordOutcome,
    RecordsIn,
    RecordsOut,
    TaskRunIn,
    WriteResult,
)

router = APIRouter(
    tags=["writes"],
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
WRITE = require(Role.WRITER)
# Reaping writes (it marks runs crashed): a token is needed, as for every write.
REAP = require(Role.READER)


def _write(request: Request, run: TaskRun | PipelineRun, where: tuple) -> None:
    """Check the record against the store's limits (422 names the field), then write it; a
    refused rewrite of a finished run is audited before the 409 goes out."""
    ctx = get_ctx(request)
    if isinstance(run, TaskRun):
        check_task_run(run, where)
    else:
        check_pipeline_run(run, where)
    try:
        if isinstance(run, TaskRun):
            ctx.store.write_task_run(run)
        else:
            ctx.store.write_pipeline_run(run)
    except Conflict as exc:
        _audit_refused(request, run.id, exc)
        raise


def _audit_refused(request: Request, run_id: str, exc: Exception) -> None:
    principal = getattr(request.state, "principal", None)
    get_ctx(request).audit.record(
        principal.name if principal else "unknown",
        "run.rewrite_refused",
        target=run_id,
        outcome="denied",
        detail={"reason": str(exc)[:500]},
    )


@router.post("/task-runs", response_model=WriteResult)
def write_task_run(run: TaskRunIn, request: Request, _=WRITE) -> WriteResult:
    """Insert or merge one task run with its params, artifacts, events and metrics (one
    transaction)."""
    _write(request, run, ("body",))
    return WriteResult(kind="task_run", id=run.id)


@router.post("/pipeline-runs", response_model=WriteResult)
def write_pipeline_run(run: PipelineRun, request: Request, _=WRITE) -> WriteResult:
    _write(request, run, ("body",))
    return WriteResult(kind="pipeline_run", id=run.id)


@router.post("/batch", response_model=BatchOut)
def write_batch(batch: BatchIn, request: Request, _=WRITE) -> BatchOut:
    """Several records in one request; results in input order. A failure part-way leaves the
    records before it written, and resending the whole batch is safe."""
    for i, p in enumerate(batch.pipeline_runs):
        check_pipeline_run(p, ("body", "pipeline_runs", i))
    for i, t in enumerate(batch.task_runs):
        check_task_run(t, ("body", "task_runs", i))
    written: list[WriteResult] = []
    for i, p in enumerate(batch.pipeline_runs):
        _write(request, p, ("body", "pipeline_runs", i))
        written.append(WriteResult(kind="pipeline_run", id=p.id))
    for i, t in enumerate(batch.task_runs):
        _write(request, t, ("body", "task_runs", i))
        written.append(WriteResult(kind="task_run", id=t.id))
    return BatchOut(written=written)


@router.post("/records", response_model=RecordsOut)
def write_records(body: RecordsIn, request: Request, _=WRITE) -> RecordsOut:
    """A client journal's batch, in order, in one transaction; each record is written or
    refused on its own (``ok: false`` with the reason). Resending a batch changes nothing."""
    parsed: list[TaskRun | PipelineRun | None] = []
    results: list[RecordOutcome] = []
    for item in body.records:
        rid = item.record.get("id")
        results.append(
            RecordOutcome(kind=item.kind, id=rid if isinstance(rid, str) else None, ok=True)
        )
        try:
            cls = TaskRunIn if item.kind == "task_run" else PipelineRun
            parsed.append(cls.model_validate(item.record))
        except ValidationError as exc:
            parsed.append(None)
            results[-1].ok, results[-1].error = False, _detail(exc)
    valid = [r for r in parsed if r is not None]
    outcomes = iter(get_ctx(request).store.write_records(valid) if valid else [])
    for record, result in zip(parsed, results, strict=True):
        if record is None:
            continue
        refused = next(outcomes)
        if refused is not None:
            result.ok, result.error = False, _detail(refused)
            if result.error.code == "conflict":
                _audit_refused(request, record.id, refused)
    return RecordsOut(results=results)


def _detail(exc: Exception) -> ErrorDetail:
    if isinstance(exc, ValidationError):
        summary = validation_summary(exc.errors(), 3)
        return ErrorDetail(code=InvalidInput.code, message=f"invalid record: {summary}")
    if isinstance(exc, TracklineError):
        return ErrorDetail(code=exc.code, message=str(exc)[:2000])
    _, code, message = store_refusal(exc)
    return ErrorDetail(code=code, message=message)


@router.post("/heartbeat", status_code=204)
def heartbeat(beat: HeartbeatIn, request: Request, _=WRITE) -> None:
    """Extend the leases of running records."""
    get_ctx(request).store.heartbeat(beat.task_run_ids, beat.pipeline_run_ids, beat.at)


@router.post("/reap", response_model=ReapOut)
def reap(body: ReapIn, request: Request, principal=REAP) -> ReapOut:
    """Mark runs whose lease expired as crashed.

    Listing runs reaps (``trackline runs`` calls this), so readers with a token may too, but
    only under the server's own staleness policy; writers may pass an earlier or later
    ``stale_before``. Anonymous callers never reap, even under ``--allow-anonymous-read``.
    """
    ctx = get_ctx(request)
    policy = ctx.stale_before()
    stale_before = body.stale_before or policy
    if not allows(principal.role, Role.WRITER):
        stale_before = min(stale_before, policy)
    return ReapOut(reaped=ctx.store.reap(stale_before))
