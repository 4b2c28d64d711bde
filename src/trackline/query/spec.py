"""A search as it travels (text parts, validated) and its result (columns and rows).

``Search`` keeps the user's text so the HTTP store sends exactly what was typed and the server
parses it with the same parser; ``Search.parsed()`` is the checked form a compiler consumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import QueryError
from .ast import Agg, Expr, OrderKey
from .ast import Field as QField
from .parser import parse_aggs, parse_columns, parse_order_by, parse_where

__all__ = ["ParsedSearch", "Search", "SearchResult", "row_value"]

MAX_LIMIT = 100_000


def _text(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


@dataclass(frozen=True)
class ParsedSearch:
    scope: Literal["runs", "pipelines"]
    where: Expr | None
    order_by: list[OrderKey]
    columns: list[QField]
    group_by: list[QField]
    aggs: list[Agg]
    limit: int
    explicit_columns: bool = False
    offset: int = 0
    total: bool = False


class Search(BaseModel):
    """One search over task runs (``scope='runs'``) or pipeline runs (``'pipelines'``).

    ``where``, ``order_by``, ``columns``, ``group_by`` and ``agg`` are text in the search
    language (lists are joined with commas). With ``group_by``, rows are groups and ``agg``
    (default ``count``) says what each group reports. Lengths are checked by the parser, whose
    message names the limit.
    """

    model_config = ConfigDict(frozen=True)

    scope: Literal["runs", "pipelines"] = "runs"
    where: str | None = None
    order_by: str | None = None
    columns: str | None = None
    group_by: str | None = None
    agg: str | None = None
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)
    # Paging for browsing (the web UI): skip ``offset`` rows; ``total`` also counts every match.
    offset: int = Field(default=0, ge=0)
    total: bool = False

    @field_validator("columns", "group_by", "agg", mode="before")
    @classmethod
    def _join(cls, value: Any) -> Any:
        return _text(value)

    def parsed(self, now: datetime | None = None) -> ParsedSearch:
        """Every part parsed and checked; a ``QueryError`` names the first problem."""
        s = self.scope
        where = parse_where(self.where, s, now) if self.where is not None else None
        order = parse_order_by(self.order_by, s) if self.order_by is not None else []
        group = parse_columns(self.group_by, s) if self.group_by is not None else []
        aggs = parse_aggs(self.agg, s) if self.agg is not None else []
        if (group or aggs) and (self.offset or self.total):
            raise QueryError(
                "offset and total page through runs, not groups: leave them out with "
                "group_by or agg (every group fits in one answer up to the limit)"
            )
        if self.columns is not None:
            cols, explicit = parse_columns(self.columns, s), True
        else:
            cols, explicit = _default_columns(where, order), False
        return ParsedSearch(
            s, where, order, cols, group, aggs, self.limit, explicit, self.offset, self.total
        )


def _fields_of(expr: Any, out: list[QField]) -> None:
    for name in ("items",):
        for item in getattr(expr, name, ()) or ():
            _fields_of(item, out)
    if hasattr(expr, "item"):
        _fields_of(expr.item, out)
    f = getattr(expr, "field", None)
    if isinstance(f, QField):
        out.append(f)


def _default_columns(where: Expr | None, order: list[OrderKey]) -> list[QField]:
    """The fields a user asked about: order keys first, then those of the filter."""
    found: list[QField] = [k.field for k in order]
    if where is not None:
        _fields_of(where, found)
    seen: set[str] = set()
    out = []
    for f in found:
        if f.kind == "column" or f.text in seen:
            continue
        seen.add(f.text)
        out.append(f)
    return out


class SearchResult(BaseModel):
    """``columns`` are the requested fields in order; each row carries the run's identity
    (``id``, ``name``, ``pipeline``, ``status``, times) and the requested values under
    ``params``, ``metrics``, ``external``, ``config`` and ``resources`` (grouped rows carry the
    group fields and one entry per aggregate instead)."""

    # A metric may be infinite: sent as "Infinity" (as records send it), not as null.
    model_config = ConfigDict(ser_json_inf_nan="strings")

    scope: Literal["runs", "pipelines"] = "runs"
    columns: list[str] = Field(default_factory=list)
    grouped: bool = False
    rows: list[dict[str, Any]] = Field(default_factory=list)
    total: int | None = None  # every matching run, when the search asked for it


_SECTION = {
    "param": "params",
    "metric": "metrics",
    "external": "external",
    "config": "config",
    "resource": "resources",
}
_COLUMN_KEYS = {
    "started": "started_at",
    "ended": "ended_at",
    "duration": "duration_s",
    "pipeline_run": "pipeline_run_id",
    "code": "code_digest",
    "error": "error_type",
}


def section_key(f: QField) -> tuple[str | None, str]:
    """Where a field's value sits in a result row: (section or None for top level, key)."""
    if f.kind == "column":
        if f.name == "name" and f.text == "name":
            return None, "name"
        return None, _COLUMN_KEYS.get(f.name, f.name)
    if f.kind == "io":
        return None, f.name
    key = f.name if f.task is None else f"{f.task}.{f.name}"
    if f.kind == "metric" and f.agg != "last":
        key = f"{key}.{f.agg}"
    return _SECTION[f.kind], key


def row_value(row: dict[str, Any], label: str, fields: dict[str, QField]) -> Any:
    """The value of column ``label`` in ``row`` (grouped rows are flat)."""
    if label in row:
        return row[label]
    f = fields.get(label)
    if f is None:
        return None
    section, key = section_key(f)
    return row.get(key) if section is None else (row.get(section) or {}).get(key)
