"""Artifact bytes through the server: readers download, writers upload, both streamed.

The server stores bytes in its own artifact store (``TRACKLINE_ARTIFACTS`` of the server, else
its home's ``artifacts`` folder; local disk or any fsspec URL such as ``s3://``) and always
streams them itself — it hands out no presigned URLs, so object-store credentials stay on the
server and every download is checked against the token. An upload must say its
``Content-Length``; the blob becomes visible only after its length and digest are checked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ...blobs.verify import CHUNK
from ...errors import InvalidInput
from ..access import Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody

router = APIRouter(
    tags=["artifact bytes"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
)
READ = require(Role.READER, anonymous_read=True)
WRITE = require(Role.WRITER)
Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
Kind = Annotated[str, Path(pattern=r"^(meta|pins)$")]
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,200}$")]


def _blobs(request: Request) -> Any:
    return get_ctx(request).blobs


def _chunks(fh):
    with fh:
        while data := fh.read(CHUNK):
            yield data


@router.head("/blobs/{digest}", responses={404: {"model": ErrorBody}})
def head_blob(digest: Digest, request: Request, _=READ) -> Response:
    size = _blobs(request).size(digest)
    return Response(headers={"Content-Length": str(size), "X-Trackline-Digest": digest})


@router.get("/blobs/{digest}", responses={404: {"model": ErrorBody}})
def get_blob(digest: Digest, request: Request, _=READ) -> StreamingResponse:
    """The bytes of ``digest``, streamed; the client checks them against the digest."""
    fh, size = _blobs(request).open_raw(digest)
    return StreamingResponse(
        _chunks(fh),
        media_type="application/octet-stream",
        headers={"Content-Length": str(size), "X-Trackline-Digest": digest},
    )


@router.put("/blobs/{digest}", status_code=201, responses={422: {"model": ErrorBody}})
async def put_blob(digest: Digest, request: Request, response: Response, _=WRITE) -> dict:
    """Store the request body as ``digest`` (201), or 200 when the bytes are already there."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise InvalidInput("an upload must send Content-Length")
    blobs = _blobs(request)
    if await run_in_threadpool(blobs.has, digest):
        async for _chunk in request.stream():  # read and discard: the client may be sending
            pass
        response.status_code = 200
        return {"digest": digest, "stored": False}
    writer = await run_in_threadpool(blobs.writer, digest, int(length))
    try:
        buf = bytearray()
        async for chunk in request.stream():
            buf += chunk
            if len(buf) >= CHUNK:
                await run_in_threadpool(writer.write, bytes(buf))
                buf.clear()
        if buf:
            await run_in_threadpool(writer.write, bytes(buf))
    except BaseException:
        await run_in_threadpool(writer.abort)
        raise
    await run_in_threadpool(writer.commit)  # checks length and digest, or discards
    return {"digest": digest, "stored": True}


@router.get("/blobs/docs/{kind}", response_model=list[str])
def list_docs(kind: Kind, request: Request, _=READ) -> list[str]:
    return _blobs(request).list_docs(kind)


@router.get("/blobs/docs/{kind}/{name}", responses={404: {"model": ErrorBody}})
def get_doc(kind: Kind, name: Name, request: Request, _=READ) -> dict:
    from ...errors import NotFound

    doc = _blobs(request).get_doc(kind, name)
    if doc is None:
        raise NotFound(f"no {kind} document {name!r}")
    return doc


@router.put("/blobs/docs/{kind}/{name}")
def put_doc(kind: Kind, name: Name, request: Request, doc: dict = Body(...), _=WRITE) -> dict:
    _blobs(request).put_doc(kind, name, doc)
    return {"kind": kind, "name": name}


@router.delete("/blobs/docs/{kind}/{name}")
def delete_doc(kind: Kind, name: Name, request: Request, _=WRITE) -> dict:
    _blobs(request).delete_doc(kind, name)
    return {"kind": kind, "name": name, "deleted": True}
