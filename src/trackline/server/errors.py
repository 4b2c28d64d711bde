"""Every error leaves the server as ``{"error": {"code", "message"}}`` with the status of its
``TracklineError`` class, so ``HttpStore`` re-raises the class the SQL store would have raised."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.exceptions import HTTPException

from ..errors import TracklineError
from ..store.quarantine import describe, over_a_statement_limit

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger("trackline.server")

_HTTP_CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_response(
    status: int, code: str, message: str, errors: list | None = None, headers: dict | None = None
) -> JSONResponse:
    body: dict = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        kind, rest = parts[0], parts[1:]
        return f"{kind} {'.'.join(rest)}" if rest else kind
    return ".".join(parts)


def _msg(err: dict) -> str:
    if err.get("type") == "string_pattern_mismatch":
        return (
            "contains characters names never have; only letters, digits, spaces and "
            ". : @ + / < > [ ] ( ) # , - are allowed (quotes, ';', '=', '%', '*', '\\' are not)"
        )
    return err["msg"]


async def _on_trackline(request: Request, exc: TracklineError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    errors = getattr(exc, "errors", None)
    return error_response(exc.http_status, exc.code, str(exc), errors, headers=headers)


async def _on_store_refused(request: Request, exc: StatementError) -> JSONResponse:
    """A value the database itself refused (a limit the edge checks missed): the client's
    fault, never a 500. Integrity errors are conflicts with what is stored."""
    if isinstance(exc, OperationalError):
        return await _on_db_down(request, exc)
    log.warning("store refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
    if isinstance(exc, (IntegrityError, DataError)) or isinstance(
        exc.orig, (ValueError, UnicodeError)
    ):
        return error_response(*store_refusal(exc))
    return await _on_other(request, exc)


def store_refusal(exc: Exception) -> tuple[int, str, str]:
    """Status, code and message of a value the database refused: an integrity error is a
    conflict with what is stored, anything else a value it cannot hold."""
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).splitlines()[0][:300] if str(orig) else type(exc).__name__
    if isinstance(exc, IntegrityError):
        return 409, "conflict", f"the store refused the write: {reason}"
    return 422, "invalid_input", f"the store refused a value: {reason}"


def validation_summary(errs: list[dict], shown: int = 5) -> str:
    """``loc: message; …`` of the first ``shown`` validation errors, and how many more."""
    summary = "; ".join(f"{_where(tuple(e['loc']))}: {_msg(e)}" for e in errs[:shown])
    more = f" (and {len(errs) - shown} more)" if len(errs) > shown else ""
    return summary + more


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        first = next(e for e in errs if e.get("type") == "json_invalid")
        detail = (first.get("ctx") or {}).get("error", "")
        return error_response(400, "invalid_input", f"malformed JSON body: {detail}".rstrip(": "))
    plain = [{"loc": [str(p) for p in e["loc"]], "msg": _msg(e), "type": e["type"]} for e in errs]
    return error_response(
        422, "invalid_input", f"invalid request: {validation_summary(errs)}", plain
    )


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path} (see /openapi.json)"
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _on_db_down(request: Request, exc: OperationalError) -> JSONResponse:
    if over_a_statement_limit(exc):  # the request's fault: retrying it would fail forever
        where = f"{request.method} {request.url.path}"
        log.warning("store refused a value on %s: %s", where, describe(exc))
        return error_response(*store_refusal(exc))
    log.error("store unavailable: %s", describe(exc))
    return error_response(
        503, "store_unavailable", "the server's store is unavailable; retry later"
    )


async def _on_other(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, "error", f"internal server error ({type(exc).__name__}); see the server log"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TracklineError, _on_trackline)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_db_down)
    app.add_exception_handler(StatementError, _on_store_refused)
    app.add_exception_handler(Exception, _on_other)
