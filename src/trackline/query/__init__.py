"""The search language: one small grammar over runs, params and metrics (pure; no store).

``parse_where('params.lr > 0.01 and metrics.acc.max >= 0.9')`` gives a checked AST that a store
compiles to its own query form with bound parameters; text never becomes SQL. See docs/query.md.
"""

from __future__ import annotations

from .ast import Agg, And, Compare, Expr, Field, InList, IsNull, Like, Not, Or, OrderKey
from .fields import RESOURCES, Scope, known_fields
from .parser import (
    MAX_DEPTH,
    MAX_IN,
    MAX_LENGTH,
    parse_aggs,
    parse_columns,
    parse_order_by,
    parse_where,
)
from .spec import Search, SearchResult

__all__ = [
    "Agg",
    "And",
    "Compare",
    "Expr",
    "Field",
    "InList",
    "IsNull",
    "Like",
    "MAX_DEPTH",
    "MAX_IN",
    "MAX_LENGTH",
    "Not",
    "Or",
    "OrderKey",
    "RESOURCES",
    "Scope",
    "Search",
    "SearchResult",
    "known_fields",
    "parse_aggs",
    "parse_columns",
    "parse_order_by",
    "parse_where",
]
