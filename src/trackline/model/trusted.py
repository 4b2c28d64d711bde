"""Records built from values the caller already checked: no per-field validation.

For hot loops over trusted data only — rows read back from trackline's own store (a lineage
graph of tens of thousands of nodes) or values the recorder validated itself (a metric whose
value it just coerced to ``float``). ``data`` must hold every field, already of the right type:
nothing is checked, defaulted or copied. ``model_construct`` does the same with per-call default
handling that cost more than the rest of building the record.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["construct", "constructor", "bulk"]

M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
# Per class, a maker: every field's name (all are set, so one set serves every instance:
# pydantic only ever adds a name to it on assignment, and every name is already in it) and the
# setters of the four instance slots, taken from the descriptors themselves
# (``object.__setattr__`` looks them up along the MRO on every call: a third of the cost).
_MAKERS: dict[type, Callable[[dict[str, Any]], Any]] = {}


def constructor(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """``construct`` for one class, looked up once: for loops over tens of thousands of
    records (a lineage graph's edges), where the lookup costs a fifth of building each one."""
    make = _MAKERS.get(cls)
    if make is not None:
        return make
    setters = []
    for slot in _SLOTS:
        owner = next(k for k in cls.__mro__ if slot in vars(k))
        setters.append(vars(owner)[slot].__set__)
    fields, (set_dict, set_fields, set_extra, set_private) = set(cls.model_fields), setters
    new = _new

    def make(data: dict[str, Any]) -> M:
        obj = new(cls)
        set_dict(obj, data)
        set_fields(obj, fields)
        set_extra(obj, None)
        set_private(obj, None)
        return obj

    _MAKERS[cls] = make
    return make


def construct(cls: type[M], data: dict[str, Any]) -> M:
    return (_MAKERS.get(cls) or constructor(cls))(data)


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
