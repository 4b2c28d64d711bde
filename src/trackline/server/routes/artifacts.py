"""Artifact queries: content-addressed records of the data and models runs read and wrote."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ...model.runs import Artifact, ArtifactKind, ArtifactLocation, FolderFile
from ...store import LocationStore, capability
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody

router = APIRouter(
    tags=["artifacts"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
)
READ = require(Role.READER, anonymous_read=True)


@router.get("/artifacts", response_model=list[Artifact])
def list_artifacts(
    request: Request,
    _=READ,
    kind: ArtifactKind | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[Artifact]:
    return get_ctx(request).store.list_artifacts(kind.value if kind else None, limit)


@router.get("/artifacts/{ref}", response_model=Artifact, responses={404: {"model": ErrorBody}})
def get_artifact(ref: str, request: Request, _=READ) -> Artifact:
    """One artifact by digest, unique digest prefix, or name."""
    return get_ctx(request).store.get_artifact(ref)


@router.get(
    "/artifacts/{ref}/locations",
    response_model=list[ArtifactLocation],
    responses={404: {"model": ErrorBody}},
)
def artifact_locations(ref: str, request: Request, _=READ) -> list[ArtifactLocation]:
    """Every place these bytes were read, written or registered from: run, direction, time."""
    return capability(get_ctx(request).store, LocationStore).artifact_locations(ref)


@router.get("/artifacts/{ref}/files", response_model=list[FolderFile])
def folder_files(ref: str, request: Request, _=READ) -> list[FolderFile]:
    """The manifest of a folder artifact (empty when none was kept)."""
    return capability(get_ctx(request).store, LocationStore).folder_manifest(ref)


@router.get("/locations", response_model=list[ArtifactLocation])
def locations_at(
    request: Request,
    uri: Annotated[str, Query(min_length=1, max_length=4096)],
    _=READ,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> list[ArtifactLocation]:
    """What was seen at a location (a ``file://`` URI), newest first."""
    return capability(get_ctx(request).store, LocationStore).locations_at(uri, limit)
