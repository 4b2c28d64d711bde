"""Task run queries: list with filters, one run in full, the difference between two runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from ...diff import RunDiff, diff_runs
from ...model.runs import RunQuery, RunStatus, TaskRun
from ...query.spec import Search, SearchResult
from ...store import SearchStore, capability
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody, NameFilter

router = APIRouter(tags=["runs"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
READ = require(Role.READER, anonymous_read=True)
RefQuery = Annotated[str, Query(min_length=1, max_length=128)]
# Search text is checked by the parser (length, nesting, fields), whose message names the limit.
SearchText = Annotated[str | None, Query(max_length=1_000_000)]
SEARCH_DOC = (
    " With any of ``where``, ``order_by``, ``columns``, ``group_by``, ``agg`` (or ``search=1``) "
    "the answer is a search result in the search language (docs/query.md); a malformed "
    "expression is 422 ``invalid_query`` with the message the CLI prints."
)


def search_response(result: SearchResult) -> Response:
    """A search result as its own JSON: FastAPI dumps a ``list[...] | SearchResult`` answer
    with the union's settings, which write an infinite metric as null; the result's own
    settings write ``"Infinity"``, as a run record does."""
    return Response(result.model_dump_json(), media_type="application/json")


def search_args(
    where: SearchText = None,
    order_by: SearchText = None,
    columns: SearchText = None,
    group_by: SearchText = None,
    agg: SearchText = None,
    search: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    total: bool = False,
) -> dict | None:
    """The search query parameters shared by ``/runs`` and ``/pipeline-runs``; ``offset`` and
    ``total`` (count every match) page through a search."""
    given = {
        k: v
        for k, v in dict(
            where=where, order_by=order_by, columns=columns, group_by=group_by, agg=agg
        ).items()
        if v is not None
    }
    if not (given or search):
        return None
    return given | {"offset": offset, "total": total}


@router.get("/runs", response_model=list[TaskRun] | SearchResult, description=SEARCH_DOC)
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
    monitoring: bool = True,
    searched: dict | None = Depends(search_args),
) -> list[TaskRun] | Response:
    """Run summaries (no params, artifacts or metrics), newest first; expired leases are reaped
    first."""
    ctx = get_ctx(request)
    ctx.store.reap(ctx.stale_before())
    if searched is not None:
        return search_response(
            capability(ctx.store, SearchStore).search_runs(  # type: ignore[type-abstract]
                Search(limit=limit, **searched)
            )
        )
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
            monitoring=monitoring,
        )
    )


@router.get("/run-fields", response_model=dict[str, list[str]])
def run_fields(request: Request, _=READ) -> dict[str, list[str]]:
    """The param and metric keys recorded on task runs: ``{"params": [...], "metrics": [...]}``
    (sorted, at most 1,000 each), for choosing search columns."""
    return get_ctx(request).store.field_keys()


@router.get("/runs/{ref}", response_model=TaskRun, responses={404: {"model": ErrorBody}})
def get_run(ref: str, request: Request, _=READ) -> TaskRun:
    """One run in full: params, inputs/outputs, metrics, resources, environment, error. A
    ``running`` run whose lease expired is reaped first, as listings reap."""
    ctx = get_ctx(request)
    run = ctx.store.get_run(ref)
    if run.status == RunStatus.RUNNING.value and run.id in ctx.store.reap(ctx.stale_before()):
        run = ctx.store.get_run(ref)
    return run


@router.get("/diff", response_model=RunDiff, responses={404: {"model": ErrorBody}})
def diff(request: Request, a: RefQuery, b: RefQuery, _=READ) -> RunDiff:
    """What differs between runs ``a`` and ``b``."""
    store = get_ctx(request).store
    return diff_runs(store.get_run(a), store.get_run(b), store)
