"""One exception tree for everything trackline raises.

Every error carries a stable ``code`` that maps to an HTTP status, so a remote store can
re-raise exactly the class the SQL store would have raised (see ``error_for_code``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TracklineError",
    "ConfigError",
    "NotFound",
    "AmbiguousRef",
    "InvalidInput",
    "expect",
    "QueryError",
    "NoActiveRun",
    "StoreUnavailable",
    "SchemaOutdated",
    "Conflict",
    "PromotionRefused",
    "GateFailed",
    "PermissionDenied",
    "Unauthenticated",
    "PayloadTooLarge",
    "CorruptBlob",
    "BlobMissing",
    "error_for_code",
]


class TracklineError(Exception):
    """Base class of all trackline errors."""

    code = "error"
    http_status = 500


class ConfigError(TracklineError, ValueError):
    """A setting, URL or policy file is malformed."""

    code = "config_error"
    http_status = 400


class InvalidInput(TracklineError, ValueError):
    """An argument has a value trackline cannot record (e.g. a non-numeric metric)."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, message: str = "", errors: list[dict] | None = None) -> None:
        super().__init__(message)
        # One entry per violated field: {"loc": [...], "msg", "type", "limit"?}.
        self.errors = errors


def expect(value: Any, types: type | tuple[type, ...], what: str) -> None:
    """Refuse an argument of the wrong type with ``InvalidInput`` naming it (``None`` passes:
    the caller decides what an absent value means)."""
    if value is not None and not isinstance(value, types):
        kinds = types if isinstance(types, tuple) else (types,)
        names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise InvalidInput(f"{what} must be {names}, not {type(value).__name__} {value!r:.80}")


_TYPE_NAMES = {str: "text", int: "an integer", float: "a number"}


class QueryError(InvalidInput):
    """A search expression (``--where``, ``--order-by``, ``--columns``, ``--agg``) is malformed.

    The message says where: ``unknown field 'metric.acc' at column 1 (did you mean
    'metrics.acc'?)``.
    """

    code = "invalid_query"
    http_status = 422


class NotFound(TracklineError, LookupError):
    """No run, artifact or model matches the given reference."""

    code = "not_found"
    http_status = 404


class AmbiguousRef(TracklineError, LookupError):
    """A short id prefix matches more than one record."""

    code = "ambiguous_ref"
    http_status = 409


class Conflict(TracklineError):
    """The write lost a race or contradicts a recorded fact."""

    code = "conflict"
    http_status = 409


class PromotionRefused(Conflict):
    """A promotion without a passing gate decision for exactly this model digest."""

    code = "promotion_refused"
    http_status = 409


class GateFailed(TracklineError):
    """A gate check ended with a failing verdict (raised by pipeline steps that enforce it)."""

    code = "gate_failed"
    http_status = 412

    def __init__(self, message: str, decision: object = None) -> None:
        super().__init__(message)
        self.decision = decision


class NoActiveRun(TracklineError, RuntimeError):
    """A logging call was made outside a tracked task."""

    code = "no_active_run"
    http_status = 400


class StoreUnavailable(TracklineError, ConnectionError):
    """The store could not be reached or written."""

    code = "store_unavailable"
    http_status = 503


class SchemaOutdated(TracklineError):
    """The store's schema is older than this trackline and auto-upgrade is off."""

    code = "schema_outdated"
    http_status = 500


class Unauthenticated(TracklineError, PermissionError):
    """No valid API token was presented to the server."""

    code = "unauthenticated"
    http_status = 401


class PermissionDenied(TracklineError, PermissionError):
    """The token is valid but its role does not allow the action."""

    code = "permission_denied"
    http_status = 403


class PayloadTooLarge(InvalidInput):
    """A request body is larger than the server accepts."""

    code = "payload_too_large"
    http_status = 413


class CorruptBlob(TracklineError, ValueError):
    """Stored bytes do not match their digest (damaged on disk or in transit); never returned."""

    code = "corrupt_blob"
    http_status = 422


class BlobMissing(NotFound):
    """An artifact is known but its bytes are not in the artifact store."""

    code = "blob_missing"
    http_status = 404


_BY_CODE = {
    cls.code: cls
    for cls in (
        TracklineError,
        ConfigError,
        InvalidInput,
        QueryError,
        NotFound,
        AmbiguousRef,
        Conflict,
        PromotionRefused,
        GateFailed,
        NoActiveRun,
        StoreUnavailable,
        SchemaOutdated,
        Unauthenticated,
        PermissionDenied,
        PayloadTooLarge,
        CorruptBlob,
        BlobMissing,
    )
}


def error_for_code(code: str) -> type[TracklineError]:
    """The exception class for a stable error code (unknown codes map to the base class)."""
    return _BY_CODE.get(code, TracklineError)
