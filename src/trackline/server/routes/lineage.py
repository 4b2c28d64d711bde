"""Lineage closures of a run or an artifact."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ...model.runs import LineageGraph
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody

router = APIRouter(
    tags=["lineage"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
)
READ = require(Role.READER, anonymous_read=True)


@router.get("/lineage/{ref}", response_model=LineageGraph, responses={404: {"model": ErrorBody}})
def lineage(
    ref: str,
    request: Request,
    _=READ,
    direction: Literal["upstream", "downstream", "both"] = "upstream",
    depth: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> LineageGraph:
    """Nodes and edges reachable from ``ref`` (run id, artifact digest, or unique prefix)."""
    return get_ctx(request).store.lineage(ref, direction, depth)
