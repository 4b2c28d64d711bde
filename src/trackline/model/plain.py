"""Values users hand over as params, pipeline config or external ids, made plain JSON data.

JSON holds str, int, float, bool, None, lists and str-keyed dicts. A user may pass anything
else: numpy scalars, sets, tuples, bytes, dates, Decimals, enums, pydantic models, objects,
containers that hold themselves. Each is turned here, once, at capture, into the JSON value
that says the most about it, so that every later step — the journal line, the spool file, the
SQL columns, the search index — meets only types it can store. Limits (``limits.py``) still
apply to the result: a too-deep or too-large value is refused there, as from any client.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Mapping
from enum import Enum
from typing import Any

__all__ = ["plain_json", "plain_mapping"]

_REPR_LEN = 1000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MAX_DEPTH = 65  # one past limits.JSON_DEPTH: deeper values are refused there, not cut here
_CUT = "<cut: nested deeper than 64 levels>"


def plain_json(value: Any) -> Any:
    """``value`` as plain JSON data (itself when it already is). Non-finite floats become
    their text (``"nan"``, ``"inf"``), as JSON has no spelling for them, and so do integers
    beyond 64 bits (a 128-bit seed): SQLite would store them as a rounded float."""
    cls = type(value)
    if cls is str or cls is bool or value is None:
        return value
    if cls is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    if cls is float and value - value == 0:  # finite
        return value
    if _is_plain(value):
        return value
    return _convert(value, 1, set())


def plain_mapping(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A dict of plain JSON values with text keys (params, config, external ids)."""
    return {str(k): plain_json(v) for k, v in (values or {}).items()}


def _is_plain(value: Any) -> bool:
    # Iterative: a 100,000-level value that is plain stays as it is (limits refuse it later).
    # A container met twice (shared, or holding itself) is left to _convert, which copies.
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        cls = type(item)
        if cls is str or cls is bool or item is None:
            continue
        if cls is int:
            if not _INT64_MIN <= item <= _INT64_MAX:
                return False
            continue
        if cls is float:
            if not math.isfinite(item):
                return False
            continue
        if cls is not list and cls is not dict or id(item) in seen:
            return False
        seen.add(id(item))
        if cls is list:
            stack.extend(item)
            continue
        for k, v in item.items():
            if type(k) is not str:
                return False
            stack.append(v)
    return True


def _convert(item: Any, depth: int, active: set[int]) -> Any:
    if item is None or type(item) in (str, bool):
        return item
    if isinstance(item, bool):
        return bool(item)
    if isinstance(item, float):  # numpy's float64 too
        f = float(item)
        return f if math.isfinite(f) else str(f)
    if isinstance(item, int):  # IntEnum, IntFlag too
        number = int(item)
        return number if _INT64_MIN <= number <= _INT64_MAX else _big(number)
    if isinstance(item, str):  # StrEnum and other subclasses: their text
        return str.__str__(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item).decode("utf-8", "backslashreplace")
    if isinstance(item, os.PathLike):
        return _convert(os.fspath(item), depth, active)
    if isinstance(item, (dt.datetime, dt.date, dt.time)):
        return item.isoformat()
    if depth > _MAX_DEPTH:
        return _CUT
    if isinstance(item, (Mapping, list, tuple, set, frozenset)):
        if id(item) in active:
            return f"<recursive {type(item).__name__}>"
        active.add(id(item))
        try:
            return _container(item, depth, active)
        except Exception:  # noqa: BLE001 - a mapping or set whose items raise: its repr
            return _repr(item)
        finally:
            active.discard(id(item))
    converted = _known(item)
    if converted is not item:
        return _convert(converted, depth + 1, active)
    return _repr(item)


def _container(item: Any, depth: int, active: set[int]) -> Any:
    if isinstance(item, Mapping):
        out: dict[str, Any] = {}
        for k, v in list(item.items()):
            key = _key(k)
            if key in out:  # {1: "a", "1": "b"}: both kept, the second under its repr
                key = _repr(k)
            out[key] = _convert(v, depth + 1, active)
        return out
    values = [_convert(v, depth + 1, active) for v in list(item)]
    if isinstance(item, (set, frozenset)):  # no order of its own: a stable one
        try:
            values.sort()
        except TypeError:
            values.sort(key=repr)
    return values


def _key(k: Any) -> str:
    # What json.dumps writes for the keys it accepts; anything else by its repr.
    if isinstance(k, str):
        return str.__str__(k)
    if k is None or isinstance(k, bool):
        return {None: "null", True: "true", False: "false"}[k]
    if isinstance(k, (int, float)):
        return repr(int(k) if isinstance(k, int) else float(k))
    return _repr(k)


def _known(item: Any) -> Any:
    """A type's own plain form (numpy scalars and arrays, enums, pydantic models, dataclasses,
    Decimals, UUIDs, complex numbers); ``item`` itself when it has none."""
    try:
        module = type(item).__module__
        if module.startswith("numpy") and hasattr(item, "tolist"):
            return item.tolist()
        if hasattr(item, "model_dump") and hasattr(type(item), "model_fields"):
            return item.model_dump(mode="json")
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
        if isinstance(item, Enum):
            return item.value
        if module in ("decimal", "uuid", "builtins", "fractions", "ipaddress"):
            return str(item)  # Decimal and Fraction exactly; complex as "(1+2j)"
    except Exception:  # noqa: BLE001 - an object whose own conversion fails: its repr
        return _repr(item)
    return item


def _big(number: int) -> str:
    try:
        return str(number)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return f"<int of {number.bit_length()} bits>"


def _repr(item: Any) -> str:
    try:
        text = repr(item)
    except Exception:  # noqa: BLE001 - a __repr__ that raises
        text = f"<{type(item).__module__}.{type(item).__qualname__}>"
    return text if len(text) <= _REPR_LEN else text[: _REPR_LEN - 1] + "…"
