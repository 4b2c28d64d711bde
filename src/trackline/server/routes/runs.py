"""Task run queries: list with filters, one run in full, the difference between two runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ...diff import RunDiff, diff_runs
from ...model.runs import RunQuery, RunStatus, TaskRun, utcnow
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody, NameFilter

router = APIRouter(tags=["runs"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
READ = require(Role.READER, anonymous_read=True)
RefQuery = Annotated[str, Query(min_length=1, max_length=128)]


@router.get("/runs", response_model=list[TaskRun])
def list_runs(
    request: Request,
    _=READ,
    pipeline: NameFilter = None,
    name: NameFilter = None,
    status: RunStatus | None = None,
    pipeline_run_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:\-]{1,128}$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    order: Literal["newest", "oldest"] = "newest",
) -> list[TaskRun]:
    """Run summaries (no params, artifacts or metrics), newest first; expired leases are reaped
    first."""
    ctx = get_ctx(request)
    ctx.store.reap(utcnow() - timedelta(seconds=ctx.config.stale_after))
    return ctx.store.list_runs(
        RunQuery(
            pipeline=pipeline,
            name=name,
            status=status.value if status else None,
            pipeline_run_id=pipeline_run_id,
            since=since,
            until=until,
            limit=limit,
            order=order,
        )
    )


@router.get("/runs/{ref}", response_model=TaskRun, responses={404: {"model": ErrorBody}})
def get_run(ref: str, request: Request, _=READ) -> TaskRun:
    """One run in full: params, inputs/outputs, metrics, resources, environment, error."""
    return get_ctx(request).store.get_run(ref)


@router.get("/diff", response_model=RunDiff, responses={404: {"model": ErrorBody}})
def diff(request: Request, a: RefQuery, b: RefQuery, _=READ) -> RunDiff:
    """What differs between runs ``a`` and ``b``."""
    store = get_ctx(request).store
    return diff_runs(store.get_run(a), store.get_run(b), store)
