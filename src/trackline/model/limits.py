"""What a record may hold: one set of limits for the server's edge and for direct SQL writes.

The column lengths here are the SQL tables' (``store/sql/*tables.py`` use the same constants), so a
record that passes ``check_*`` can always be stored, and a stored record can always be read back.
JSON fields are bounded in depth (``JSON_DEPTH``: far below the ~255 levels where serialisers give
up) and in size; strings never hold NUL bytes or lone surrogates (PostgreSQL and UTF-8 refuse them).
A violation raises ``InvalidInput`` whose ``errors`` name each field path and its limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput
from .runs import SERIES_MAX, point_micros

__all__ = [
    "ID_LEN",
    "NAME_LEN",
    "STATUS_LEN",
    "HOST_LEN",
    "DIGEST_LEN",
    "KIND_LEN",
    "KEY_LEN",
    "MEDIA_LEN",
    "SHORT_LEN",
    "TEXT_LEN",
    "JSON_DEPTH",
    "JSON_BYTES",
    "AUDIT_DATA_BYTES",
    "INT32_MAX",
    "INT64_MAX",
    "Checker",
    "check_artifact",
    "check_json",
    "check_pipeline_run",
    "check_task_run",
    "clean_text",
    "json_problem",
    "repair_json",
    "text_problem",
]

ID_LEN = 64  # run, metric, decision ids
NAME_LEN = 512  # task/pipeline names, param and metric keys, slots, artifact names
STATUS_LEN = 32
HOST_LEN = 255
DIGEST_LEN = 128
KIND_LEN = 32
KEY_LEN = 512
MEDIA_LEN = 255
SHORT_LEN = 255  # model names, aliases, actors
TEXT_LEN = 1_048_576  # unbounded TEXT columns (error messages, tracebacks, URIs) still have a cap
JSON_DEPTH = 64
JSON_BYTES = 4 * 1_048_576  # per JSON field, as serialised (approximately)
AUDIT_DATA_BYTES = 16_384  # what a client may attach to an audit entry it reports
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_CUT = "<cut: nested deeper than {} levels>"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def clean_text(value: str, max_len: int) -> str:
    """``value`` made storable: NULs and lone surrogates replaced, clipped to ``max_len``."""
    value = value.replace("\x00", "\\0")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return value if len(value) <= max_len else value[: max_len - 1] + "…"


def json_problem(
    value: Any, *, max_depth: int = JSON_DEPTH, max_bytes: int = JSON_BYTES, allow_nan: bool = False
) -> str | None:
    """Why a JSON value cannot be stored (too deep, too big, bad strings or numbers), or None.

    Iterative, so an attacker's 100,000-level value costs no stack."""
    kind = type(value)
    if kind is int or kind is bool or value is None:  # most params: nothing to walk
        return None
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping) or isinstance(item, (list, tuple)):
            if depth > max_depth:
                return f"is nested deeper than {max_depth} levels"
            size += 2 + len(item)
            if isinstance(item, Mapping):
                for k, v in item.items():
                    if not isinstance(k, str):
                        k = str(k)
                    bad = text_problem(k)
                    if bad:
                        return f"has a key that {bad}"
                    size += len(k) + 3
                    stack.append((v, depth + 1))
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            bad = text_problem(item)
            if bad:
                return f"has a string that {bad}"
            size += len(item) + 2
        elif isinstance(item, float):
            if not allow_nan and not math.isfinite(item):
                return "has a non-finite number (NaN or Infinity is not JSON)"
            size += 8
        else:
            size += 8
        if size > max_bytes:
            return f"is larger than {max_bytes} bytes"
    return None


def repair_json(value: Any, max_depth: int = JSON_DEPTH) -> Any:
    """A storable copy of ``value``: deeper levels cut, strings cleaned, NaN spelled as text.

    Used on read and by the repair migration, so data stored before the limits still reads.
    Iterative like ``json_problem``; values that need no repair are returned as they are."""
    if json_problem(value, max_bytes=2**62) is None:
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, int, Any, Any]] = [(value, 1, root, 0)]
    while stack:
        item, depth, parent, key = stack.pop()
        if isinstance(item, Mapping) or isinstance(item, (list, tuple)):
            if depth > max_depth:
                parent[key] = _CUT.format(max_depth)
            elif isinstance(item, Mapping):
                new: Any = {}
                parent[key] = new
                for k, v in item.items():
                    k2 = clean_text(str(k), KEY_LEN)
                    new[k2] = None
                    stack.append((v, depth + 1, new, k2))
            else:
                new = [None] * len(item)
                parent[key] = new
                stack.extend((v, depth + 1, new, i) for i, v in enumerate(item))
        elif isinstance(item, str):
            parent[key] = item if text_problem(item) is None else clean_text(item, TEXT_LEN)
        elif isinstance(item, float) and not math.isfinite(item):
            parent[key] = str(item)
        else:
            parent[key] = item
    return root[0]


class Checker:
    """Collects violations of one record, each with its field path and limit."""

    def __init__(self, prefix: Iterable[str | int] = ()) -> None:
        self.prefix = tuple(prefix)
        self.errors: list[dict[str, Any]] = []

    def _add(self, path: tuple, msg: str, kind: str, limit: Any = None) -> None:
        loc = [str(p) for p in (*self.prefix, *path)]
        err: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
        if limit is not None:
            err["limit"] = limit
        self.errors.append(err)

    def text(self, path: tuple, value: Any, max_len: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self._add(path, "is required", "missing")
            return
        if not isinstance(value, str):
            self._add(path, "must be a string", "string_type")
            return
        if required and not value:
            self._add(path, "must not be empty", "string_too_short", 1)
        if len(value) > max_len:
            self._add(
                path, f"is {len(value)} characters; at most {max_len}", "string_too_long", max_len
            )
        bad = text_problem(value)
        if bad:
            self._add(path, bad, "string_unstorable")

    def integer(self, path: tuple, value: Any, lo: int, hi: int) -> None:
        if value is not None and not lo <= value <= hi:
            self._add(path, f"is {value}; must be between {lo} and {hi}", "int_range", [lo, hi])

    def when(self, path: tuple, value: Any) -> None:
        """A timestamp every database and ISO format can hold (years 1900-9000, in UTC)."""
        if value is None:
            return
        try:
            year = value.astimezone(UTC).year if value.tzinfo else value.year
        except (OverflowError, ValueError):
            year = 0
        if not 1900 <= year <= 9000:
            self._add(path, "is outside the years 1900-9000", "datetime_range", [1900, 9000])

    def json(self, path: tuple, value: Any, max_bytes: int = JSON_BYTES) -> None:
        if value is None:
            return
        bad = json_problem(value, max_bytes=max_bytes)
        if bad:
            limit = {"depth": JSON_DEPTH, "bytes": max_bytes}
            self._add(path, bad, "json_unstorable", limit)

    def raise_if_any(self, what: str) -> None:
        if not self.errors:
            return
        shown = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        raise InvalidInput(f"{what} cannot be stored: {shown}{more}", errors=self.errors)


def check_json(
    value: Any, field: str, *, max_bytes: int = JSON_BYTES, allow_nan: bool = False
) -> None:
    """Raise ``InvalidInput`` unless ``value`` is storable JSON (one field of a request);
    ``allow_nan`` for records whose NaN statistics are stored as null (monitoring)."""
    bad = json_problem(value, max_bytes=max_bytes, allow_nan=allow_nan)
    if bad:
        c = Checker()
        c._add((field,), bad, "json_unstorable", {"depth": JSON_DEPTH, "bytes": max_bytes})
        c.raise_if_any(field)


def _run_common(c: Checker, run: Any) -> None:
    c.text(("id",), run.id, ID_LEN, required=True)
    c.text(("status",), run.status, STATUS_LEN, required=True)
    c.text(("host",), run.host, HOST_LEN)
    c.integer(("pid",), run.pid, 0, INT32_MAX)
    for key in ("started_at", "ended_at", "heartbeat_at"):
        c.when((key,), getattr(run, key))
    c.json(("external_ids",), run.external_ids)


def check_artifact(c: Checker, path: tuple, a: Any) -> None:
    c.text((*path, "digest"), a.digest, DIGEST_LEN, required=True)
    c.text((*path, "kind"), a.kind, KIND_LEN, required=True)
    c.text((*path, "uri"), a.uri, TEXT_LEN)
    c.text((*path, "name"), a.name, NAME_LEN)
    c.text((*path, "media_type"), a.media_type, MEDIA_LEN)
    c.integer((*path, "size_bytes"), a.size_bytes, 0, INT64_MAX)
    c.integer((*path, "rows"), a.rows, 0, INT64_MAX)
    for i, col in enumerate(a.columns or ()):
        c.text((*path, "columns", i, "name"), col.name, TEXT_LEN)
        c.text((*path, "columns", i, "dtype"), col.dtype, TEXT_LEN)
    c.json((*path, "profile"), a.profile)
    c.when((*path, "created_at"), a.created_at)


# A process captures its environment once, and a function's code facts once, and attaches those
# same objects to every run it records: their hundreds of strings need checking once, not per
# run. Held here (not just their ids) so an id is never reused by another object meanwhile.
_CHECKED: dict[int, Any] = {}


def _remember(part: Any) -> None:
    if len(_CHECKED) >= 64:
        _CHECKED.clear()
    _CHECKED[id(part)] = part


def check_task_run(run: Any, prefix: Iterable[str | int] = ()) -> None:
    """Raise ``InvalidInput`` (every violation with its path and limit) unless ``run`` fits."""
    c = Checker(prefix)
    _run_common(c, run)
    c.text(("name",), run.name, NAME_LEN, required=True)
    c.text(("pipeline",), run.pipeline, NAME_LEN)
    c.text(("pipeline_run_id",), run.pipeline_run_id, ID_LEN)
    c.text(("parent_id",), run.parent_id, ID_LEN)
    c.text(("code_digest",), run.code_digest, DIGEST_LEN)
    if run.code is not None and _CHECKED.get(id(run.code)) is not run.code:
        found = len(c.errors)
        c.json(("code",), run.code.model_dump(mode="json"))
        if len(c.errors) == found:
            _remember(run.code)
    if run.resources is not None:
        c.json(("resources",), run.resources.model_dump(mode="json"))
    if run.environment is not None and _CHECKED.get(id(run.environment)) is not run.environment:
        found = len(c.errors)
        c.text(("environment", "digest"), run.environment.digest, DIGEST_LEN, required=True)
        c.json(("environment",), run.environment.model_dump(mode="json"))
        if len(c.errors) == found:
            _remember(run.environment)
    if run.error is not None:
        c.text(("error", "type"), run.error.type, NAME_LEN, required=True)
        c.text(("error", "message"), run.error.message, TEXT_LEN)
        c.text(("error", "traceback"), run.error.traceback, TEXT_LEN)
    for key, value in run.params.items():
        c.text(("params", key[:80]), key, KEY_LEN)
        c.json(("params", key[:80]), value)
    for direction, refs in (("inputs", run.inputs), ("outputs", run.outputs)):
        for i, ref in enumerate(refs):
            c.text((direction, i, "name"), ref.name, NAME_LEN, required=True)
            c.text((direction, i, "digest"), ref.digest, DIGEST_LEN, required=True)
    _check_metrics(c, run.metrics)
    _check_series(c, run.metric_series)
    for i, a in enumerate(run.artifacts):
        check_artifact(c, ("artifacts", i), a)
    c.raise_if_any(f"task run {str(run.id)[:80]!r}")


def _check_metrics(c: Checker, metrics: list) -> None:
    """The metric part of ``check_task_run``. A run may carry a million metrics, mostly under a
    few keys: a key is checked once, and ids and times that plainly fit skip the full checks
    (which report the same problems when one is found)."""
    seen: set[str] = set()
    good_keys: set[str] = set()
    for i, m in enumerate(metrics):
        mid, key, step, ts = m.id, m.key, m.step, m.timestamp
        if not (
            type(mid) is str
            and 0 < len(mid) <= ID_LEN
            and mid.isascii()  # encodable; only a NUL could still be unstorable
            and "\x00" not in mid
        ):
            c.text(("metrics", i, "id"), mid, ID_LEN, required=True)
        if type(key) is not str or key not in good_keys:
            found = len(c.errors)
            c.text(("metrics", i, "key"), key, KEY_LEN, required=True)
            if len(c.errors) == found:
                good_keys.add(key)
        if step is not None and not -INT64_MAX <= step <= INT64_MAX:
            c.integer(("metrics", i, "step"), step, -INT64_MAX, INT64_MAX)
        # A time zone moves the year by one at most: only the edges need the exact check.
        if ts is not None and not 1901 <= ts.year <= 8999:
            c.when(("metrics", i, "timestamp"), ts)
        if mid in seen:
            c._add(("metrics", i, "id"), f"{mid!r} is used twice in this run", "duplicate")
        seen.add(mid)


# A series' points are read back with ids ``f"{id}.{i:06d}"``, which must fit ``ID_LEN``.
SERIES_ID_LEN = ID_LEN - 7
_MICROS_1901 = point_micros(datetime(1901, 1, 1, tzinfo=UTC))
_MICROS_9000 = point_micros(datetime(9000, 1, 1, tzinfo=UTC))


def _check_series(c: Checker, series: list) -> None:
    """The ``metric_series`` part of ``check_task_run``: whole columns at a time (min and max
    in C), since a series holds thousands of points."""
    seen: set[str] = set()
    for i, s in enumerate(series):
        sid, key = s.id, s.key
        # What the recorder writes (ASCII ids, short keys) skips the full text checks, which
        # report the same problems when there is one.
        if not (type(sid) is str and 0 < len(sid) <= SERIES_ID_LEN and sid.isascii()) or (
            "\x00" in sid
        ):
            c.text(("metric_series", i, "id"), sid, SERIES_ID_LEN, required=True)
        if not (type(key) is str and 0 < len(key) <= KEY_LEN // 4 and "\x00" not in key) or (
            not key.isascii() and text_problem(key)
        ):
            c.text(("metric_series", i, "key"), key, KEY_LEN, required=True)
        n = len(s.values)
        if len(s.steps) != n or len(s.times) != n:
            c._add(
                ("metric_series", i),
                f"has {n} values, {len(s.steps)} steps and {len(s.times)} times; "
                "each point needs all three",
                "length",
            )
            continue
        if n == 0:
            c._add(("metric_series", i), "has no points", "too_short", 1)
        if n > SERIES_MAX:
            c._add(("metric_series", i), f"has {n} points", "too_long", SERIES_MAX)
        if n == 1:
            step, when = s.steps[0], s.times[0]
            bad_step = step is not None and not -INT64_MAX <= step <= INT64_MAX
            bad_time = not _MICROS_1901 <= when < _MICROS_9000
        else:
            steps = [x for x in s.steps if x is not None] if None in s.steps else s.steps
            bad_step = bool(steps) and (min(steps) < -INT64_MAX or max(steps) > INT64_MAX)
            bad_time = n > 0 and (min(s.times) < _MICROS_1901 or max(s.times) >= _MICROS_9000)
        if bad_step:
            c._add(
                ("metric_series", i, "steps"),
                f"must be between {-INT64_MAX} and {INT64_MAX}",
                "int_range",
                [-INT64_MAX, INT64_MAX],
            )
        if bad_time:
            c._add(("metric_series", i, "times"), "must fall in the years 1901-8999", "datetime")
        if sid in seen:
            c._add(("metric_series", i, "id"), f"{sid!r} is used twice in this run", "duplicate")
        seen.add(sid)


def check_pipeline_run(run: Any, prefix: Iterable[str | int] = ()) -> None:
    c = Checker(prefix)
    _run_common(c, run)
    c.text(("pipeline",), run.pipeline, NAME_LEN, required=True)
    c.json(("config",), run.config)
    c.raise_if_any(f"pipeline run {str(run.id)[:80]!r}")
