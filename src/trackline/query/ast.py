"""The parsed form of a search: immutable nodes a store compiles to SQL (never to SQL text).

A ``Field`` is already resolved against the scope (task runs or pipeline runs), so a compiler
never meets a name it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = [
    "Agg",
    "And",
    "Compare",
    "Expr",
    "Field",
    "InList",
    "IsNull",
    "Like",
    "Not",
    "Or",
    "OrderKey",
    "Value",
]

# A literal: numbers, strings, booleans and absolute times (relative times are resolved on parse).
Value = int | float | str | bool | datetime

FieldKind = Literal["column", "param", "metric", "external", "config", "resource", "io"]


@dataclass(frozen=True)
class Field:
    """One field of a run: ``kind`` says which table or document it lives in.

    - ``column``: ``name`` is the column (``name``, ``status``, ``started`` ...)
    - ``param`` / ``metric``: ``name`` is the key; ``task`` names the task in pipeline scope;
      ``agg`` is ``last``, ``min`` or ``max`` for metrics
    - ``external`` / ``config``: ``name`` is the key of that JSON document
    - ``resource``: ``name`` is one of the resource names (``cpu_s``, ``peak_rss`` ...)
    - ``io``: ``name`` is ``inputs`` or ``outputs``
    """

    kind: FieldKind
    name: str
    task: str | None = None
    agg: str = "last"
    text: str = ""  # as written, for messages and result column names
    column: int = 0

    @property
    def label(self) -> str:
        return self.text


@dataclass(frozen=True)
class Compare:
    field: Field
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Value


@dataclass(frozen=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negate: bool = False


@dataclass(frozen=True)
class Like:
    field: Field
    pattern: str  # a glob: * any run of characters, ? one character
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    field: Field
    negate: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Compare | InList | Like | IsNull | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    field: Field
    descending: bool = False


@dataclass(frozen=True)
class Agg:
    """``count`` (field None), ``sum``/``avg``/``min``/``max``/``p50``/``p90``/``p95``/``p99``."""

    func: str
    field: Field | None
    text: str
