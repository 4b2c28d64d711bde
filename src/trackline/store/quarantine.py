"""Records the store refuses as invalid: set aside with their reason, never in the way.

A spooled record is delivered or, if the store refuses *it* (a value over a limit, a rewrite of a
finished run, a value the database rejects), moved to ``<spool>/quarantine/`` next to a
``.reason.json`` and the replay carries on with the records behind it. Only unavailability (the
store is down, locked, or the client is not allowed in) stops a replay: those records are fine and
wait their turn. A refused task run is still recorded in a reduced form (name, status, times and an
error summary, all within the limits), so the failure shows up where people look.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    PermissionDenied,
    SchemaOutdated,
    StoreUnavailable,
    TracklineError,
    Unauthenticated,
)
from ..model.limits import ID_LEN, NAME_LEN, STATUS_LEN, TEXT_LEN, clean_text
from ..model.runs import TERMINAL, ErrorInfo, PipelineRun, RunStatus, TaskRun

__all__ = [
    "QuarantinedRecord",
    "describe",
    "drop_quarantined",
    "find_quarantined",
    "is_permanent_config_error",
    "is_refusal",
    "list_quarantined",
    "over_a_statement_limit",
    "quarantine",
    "reduced_record",
    "release_quarantined",
]

REASON_SUFFIX = ".reason.json"


def is_permanent_config_error(exc: BaseException) -> bool:
    """Errors no retry can fix: a malformed or unknown store URL, a missing driver, a schema
    that is too old while auto-upgrade is off."""
    if isinstance(exc, (ConfigError, ImportError, SchemaOutdated)):
        return True
    try:
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    except ImportError:  # pragma: no cover - SQLAlchemy is a core dependency
        return False
    return isinstance(exc, (ArgumentError, NoSuchModuleError))


def describe(exc: BaseException, limit: int = 1000) -> str:
    """``Type: message`` of an error, at most ``limit`` characters: for a database error its
    own message, without the statement and parameters SQLAlchemy appends (a whole record —
    megabytes for a large one — in every log line and quarantine reason)."""
    orig = getattr(exc, "orig", None)
    if orig is not None and hasattr(exc, "statement"):
        exc = orig
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# SQLite reports these limits of one statement with the generic SQLITE_ERROR code.
_SQLITE_STATEMENT_LIMITS = (
    "too many SQL variables",
    "too many terms",
    "too many columns",
    "too many arguments",
    "too large",  # "Expression tree is too large"
    "too complex",  # "LIKE or GLOB pattern too complex"
)


def over_a_statement_limit(exc: BaseException) -> bool:
    """True when the database refused a statement for a limit of its own (PostgreSQL's
    ``program_limit_exceeded`` class, e.g. an index entry over 2.7 kB; SQLite's statement
    limits): a fact about this record's statement, never about the store being down."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        return state.startswith("54")
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_ERROR":
        text = str(orig)
        return any(limit in text for limit in _SQLITE_STATEMENT_LIMITS)
    return False


def is_refusal(exc: BaseException) -> bool:
    """True when the store refused the record itself (retrying it can never succeed);
    False when the store is merely unavailable (or the client is not allowed in yet)."""
    if isinstance(exc, (StoreUnavailable, Unauthenticated, PermissionDenied, ConnectionError)):
        return False
    if is_permanent_config_error(exc) or isinstance(exc, (OSError, TimeoutError)):
        return False
    # TypeError, OverflowError: a value no serializer or column takes (a set, 10**400). Were
    # they taken for an outage, the record would wait in the spool and fail there forever.
    refusals = (InvalidInput, Conflict, ValueError, UnicodeError, RecursionError, TypeError)
    if isinstance(exc, (*refusals, ArithmeticError)):
        return True
    try:
        from sqlalchemy.exc import DBAPIError, OperationalError
    except ImportError:  # pragma: no cover
        DBAPIError = OperationalError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, OperationalError):
        # Locked, disk full, connection lost: the record is fine. Unless it broke a limit of
        # the statement itself: then it fails the same way on every retry.
        return over_a_statement_limit(exc)
    if isinstance(exc, DBAPIError):
        return True  # integrity, data, programming errors: this record cannot go in
    if isinstance(exc, TracklineError):
        return 400 <= exc.http_status < 500 or exc.http_status == 500
    return False


@dataclass
class QuarantinedRecord:
    name: str
    path: Path
    kind: str
    record_id: str
    reason: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "kind": self.kind,
            "record_id": self.record_id,
            "reason": self.reason,
            "quarantined_at": self.at,
        }


def quarantine(spool_dir: Path, path: Path, name: str, reason: str) -> Path:
    """Move a spool file into ``quarantine/`` under ``name`` and write its reason beside it."""
    qdir = Path(spool_dir) / "quarantine"
    qdir.mkdir(parents=True, exist_ok=True)
    target = qdir / name
    side = qdir / (name + REASON_SUFFIX)
    with open(side, "w", encoding="utf-8") as fh:
        json.dump({"reason": reason, "at": time.time()}, fh)
    os.replace(path, target)
    return target


def list_quarantined(spool_dir: Path) -> list[QuarantinedRecord]:
    qdir = Path(spool_dir) / "quarantine"
    if not qdir.is_dir():
        return []
    found = []
    for p in sorted(qdir.glob("*.json")):
        if p.name.endswith(REASON_SUFFIX):
            continue
        try:
            why = json.loads((qdir / (p.name + REASON_SUFFIX)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            why = {"reason": "unknown (no reason file)", "at": p.stat().st_mtime}
        # Spool names are <ns>-<kind>-<id>-<rand>.json; ids themselves may contain '-'.
        parts = p.stem.split("-")
        kind = parts[1] if len(parts) > 3 else "unknown"
        record_id = "-".join(parts[2:-1]) if len(parts) > 3 else p.stem
        found.append(
            QuarantinedRecord(p.name, p, kind, record_id, str(why.get("reason")), why.get("at", 0))
        )
    return found


def find_quarantined(spool_dir: Path, ref: str) -> QuarantinedRecord:
    """A quarantined record by file name, file-name prefix or record id (exactly one)."""
    from ..errors import AmbiguousRef, NotFound

    items = list_quarantined(spool_dir)
    exact = [q for q in items if ref in (q.name, q.record_id)]
    found = exact or [q for q in items if q.name.startswith(ref)]
    if not found:
        raise NotFound(f"no quarantined record {ref!r} (see `trackline spool list`)")
    if len(found) > 1:
        raise AmbiguousRef(f"{ref!r} matches {len(found)} quarantined records; give the file name")
    return found[0]


def release_quarantined(spool_dir: Path, q: QuarantinedRecord) -> Path:
    """Put a quarantined record back in the spool (the next replay tries it again)."""
    target = Path(spool_dir) / q.name
    os.replace(q.path, target)
    (q.path.parent / (q.name + REASON_SUFFIX)).unlink(missing_ok=True)
    return target


def drop_quarantined(q: QuarantinedRecord) -> None:
    """Delete a quarantined record for good."""
    q.path.unlink()
    (q.path.parent / (q.name + REASON_SUFFIX)).unlink(missing_ok=True)


def _safe_id(value: str) -> str:
    if value and len(value) <= ID_LEN and clean_text(value, ID_LEN) == value:
        return value
    return "q" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:31]


def reduced_record(record: TaskRun | PipelineRun, reason: str) -> TaskRun | PipelineRun:
    """The refused record cut down to what is always storable, carrying the refusal."""
    status = record.status if record.status in TERMINAL | {RunStatus.RUNNING.value} else "failed"
    status = clean_text(status, STATUS_LEN)
    note = {"trackline_quarantined": clean_text(reason, 2000)}
    common: dict[str, Any] = {
        "id": _safe_id(record.id),
        "status": status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration_s": record.duration_s,
        "external_ids": note,
    }
    if isinstance(record, PipelineRun):
        return PipelineRun(pipeline=clean_text(record.pipeline or "?", NAME_LEN), **common)
    original = record.error
    summary = f"the store refused this run's record ({reason})"
    if original is not None:
        summary += f"; the run's own error: {original.type}: {original.message}"
    return TaskRun(
        name=clean_text(record.name or "?", NAME_LEN),
        pipeline=clean_text(record.pipeline, NAME_LEN) if record.pipeline else None,
        pipeline_run_id=_safe_id(record.pipeline_run_id) if record.pipeline_run_id else None,
        error=ErrorInfo(
            type=clean_text(original.type if original else "trackline.RecordRefused", NAME_LEN),
            message=clean_text(summary, TEXT_LEN),
        ),
        **common,
    )
