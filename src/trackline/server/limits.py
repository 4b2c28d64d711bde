"""Refuse request bodies over the configured size before they are read into memory."""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "RefuseNul"]

# How much of a refused body is still read (and discarded) before answering. Closing a socket
# with unread data makes the kernel send a reset, which can destroy the 413 before the client
# reads it; past this much, the client may see a broken connection instead.
DRAIN_BYTES = 64 * 1024 * 1024


class BodyLimit:
    """Pure ASGI middleware: checks Content-Length up front and counts chunked bodies as they
    come."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: re.Pattern | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt  # paths of routes that stream their bodies to disk

    def _message(self) -> str:
        return f"request body is larger than the server's limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            self.exempt is not None and self.exempt.match(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            if length.isdigit() and int(length) <= self.max_bytes + DRAIN_BYTES:
                await _drain(receive, int(length))
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN_BYTES)
                    # Re-raised by FastAPI's body reader, answered by the HTTPException handler.
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": {"code": "payload_too_large", "message": self._message()}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RefuseNul:
    """Pure ASGI middleware: a NUL character in the path or the query string is refused (422)
    before routing; no column, name or filter can hold one (PostgreSQL refuses it outright)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").lower()
            if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
                body = json.dumps(
                    {
                        "error": {
                            "code": "invalid_input",
                            "message": "invalid request: the path or query contains a NUL "
                            "character (%00), which no name, id or filter can hold",
                        }
                    }
                ).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 422, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and discard the rest of a request body, up to ``budget`` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return
