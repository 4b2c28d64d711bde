"""Records built from values the caller already checked: no per-field validation.

For hot loops over trusted data only — rows read back from trackline's own store (a lineage
graph of tens of thousands of nodes) or values the recorder validated itself (a metric whose
value it just coerced to ``float``). ``data`` must hold every field, already of the right type:
nothing is checked, defaulted or copied. ``model_construct`` does the same with per-call default
handling that cost more than the rest of building the record.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["construct", "bulk"]

M = TypeVar("M", bound=BaseModel)
_new, _set = object.__new__, object.__setattr__
# Every field is set, so one set per class serves every instance (pydantic only ever adds a
# field name to it on assignment, and every name is already in it).
_FIELDS: dict[type, set[str]] = {}


def construct(cls: type[M], data: dict[str, Any]) -> M:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = set(cls.model_fields)
    obj = _new(cls)
    _set(obj, "__dict__", data)
    _set(obj, "__pydantic_fields_set__", fields)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


@contextmanager
def bulk() -> Iterator[None]:
    """Build many records without the cyclic garbage collector running over them: tens of
    thousands of new objects trigger collections that cost more than building them (records
    hold no reference cycles; the collector runs again when the block ends)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
