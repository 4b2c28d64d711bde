"""OpenLineage events in: ``POST /api/v1/lineage`` (the HTTP transport's default endpoint).

Point an OpenLineage producer (Airflow's OpenLineage provider, Spark, dbt) at the server with
a writer token; each event is kept and folded into trackline runs by
``trackline.openlineage.ingest`` (the same function a script could call on a store).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ...openlineage.ingest import IngestResult, ingest_event
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody

router = APIRouter(
    tags=["openlineage"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        413: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
WRITE = require(Role.WRITER)


@router.post("/lineage", response_model=IngestResult, status_code=201)
async def receive_event(request: Request, response: Response, _=WRITE) -> IngestResult:
    """Keep one OpenLineage RunEvent and record its run (201; 200 when it was already kept)."""
    ctx = get_ctx(request)
    body = await request.body()
    result = await run_in_threadpool(
        ingest_event, ctx.store, body, ctx.config.max_openlineage_event_bytes
    )
    if result.status == "duplicate":
        response.status_code = 200
    return result
