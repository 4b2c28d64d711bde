"""Pipeline run queries (DAG runs, flow runs, ``pipeline_run`` blocks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from ...model.runs import PipelineRun
from ...query.spec import Search, SearchResult
from ...store import SearchStore, capability
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody, NameFilter
from .runs import SEARCH_DOC, search_args, search_response

router = APIRouter(
    tags=["pipelines"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
)
READ = require(Role.READER, anonymous_read=True)


@router.get(
    "/pipeline-runs", response_model=list[PipelineRun] | SearchResult, description=SEARCH_DOC
)
def list_pipeline_runs(
    request: Request,
    _=READ,
    pipeline: NameFilter = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    searched: dict | None = Depends(search_args),
) -> list[PipelineRun] | Response:
    store = get_ctx(request).store
    if searched is not None:
        return search_response(
            capability(store, SearchStore).search_pipelines(  # type: ignore[type-abstract]
                Search(scope="pipelines", limit=limit, **searched)
            )
        )
    return store.list_pipeline_runs(pipeline, limit)


@router.get(
    "/pipeline-runs/{ref}", response_model=PipelineRun, responses={404: {"model": ErrorBody}}
)
def get_pipeline_run(ref: str, request: Request, _=READ) -> PipelineRun:
    return get_ctx(request).store.get_pipeline_run(ref)
