"""``--group-by`` with ``--agg``: one GROUP BY for count/sum/avg/min/max; percentiles from the
values of each group (PostgreSQL's ``percentile_cont`` has no SQLite twin, and the linear rule
here is the same on both backends). Groups come back largest first by the first aggregate."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from ...errors import QueryError
from ...query.ast import Agg, Field
from ...query.spec import ParsedSearch, SearchResult

__all__ = ["grouped", "percentile"]

_SQL_AGG = {"sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min, "max": sa.func.max}


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _group_cols(c: Any, f: Field) -> list[Any]:
    if f.kind == "io":
        raise QueryError(f"cannot group by '{f.text}' (a run has many inputs and outputs)")
    if f.kind == "param":
        return [c.value(f, "num"), c.value(f, "str"), c.value(f, "bool")]
    if f.kind in ("external", "config"):
        return [c.value(f, "any")]
    return [c.value(f)]


def _agg_col(c: Any, a: Agg) -> Any:
    return c.value(a.field, "num")


def _plain(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v
    return v


def grouped(conn: sa.Connection, c: Any, p: ParsedSearch) -> SearchResult:
    aggs = p.aggs or [Agg("count", None, "count")]
    group_cols: list[tuple[Field, list[Any]]] = [(f, _group_cols(c, f)) for f in p.group_by]
    keys = [col for _, cols in group_cols for col in cols]
    labels = [f"g{i}" for i in range(len(keys))]
    sql_aggs = []
    for i, a in enumerate(aggs):
        if a.func == "count":
            expr = sa.func.count() if a.field is None else sa.func.count(_agg_col(c, a))
        elif a.func in _SQL_AGG:
            expr = _SQL_AGG[a.func](_agg_col(c, a))
        else:
            continue
        sql_aggs.append(expr.label(f"a{i}"))
    where = c.expr(p.where) if p.where is not None else None
    c.mark_required(p.where)
    key_cols = [k.label(lbl) for k, lbl in zip(keys, labels)]
    stmt = sa.select(*key_cols, *(sql_aggs or [sa.func.count().label("_n")]))
    stmt = stmt.select_from(c.from_clause())
    if where is not None:
        stmt = stmt.where(where)
    if keys:
        stmt = stmt.group_by(*keys)
    groups: dict[tuple, dict[str, Any]] = {}
    for r in conn.execute(stmt):
        m = r._mapping
        gkey = tuple(m[lbl] for lbl in labels)
        row: dict[str, Any] = {}
        pos = 0
        for f, cols in group_cols:
            vals = [m[labels[pos + j]] for j in range(len(cols))]
            pos += len(cols)
            row[f.text] = _plain(next((v for v in vals if v is not None), None))
        for i, a in enumerate(aggs):
            if f"a{i}" in m:
                v = m[f"a{i}"]
                row[a.text] = float(v) if a.func in ("avg", "sum") and v is not None else v
        groups[gkey] = row
    pct = [a for a in aggs if a.func.startswith("p")]
    for a in pct:
        vcol = _agg_col(c, a)
        q = sa.select(*key_cols, vcol.label("v")).select_from(c.from_clause())
        q = q.where(vcol.isnot(None))
        if where is not None:
            q = q.where(where)
        values: dict[tuple, list[float]] = {}
        for r in conn.execute(q):
            m = r._mapping
            values.setdefault(tuple(m[lbl] for lbl in labels), []).append(float(m["v"]))
        for gkey, row in groups.items():
            row[a.text] = percentile(values.get(gkey, []), int(a.func[1:]) / 100)
    first = aggs[0].text
    rows = sorted(
        groups.values(),
        key=lambda r: (r.get(first) is None, -(r.get(first) or 0), str(list(r.values()))),
    )[: p.limit]
    if not p.group_by and not rows:
        rows = [{a.text: (0 if a.func == "count" else None) for a in aggs}]
    return SearchResult(
        scope=p.scope,
        columns=[f.text for f in p.group_by] + [a.text for a in aggs],
        grouped=True,
        rows=rows,
    )
