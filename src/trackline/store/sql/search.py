"""The search language compiled to SQLAlchemy Core: every literal is a bound parameter.

Plan (see docs/benchmarks.md): each param or metric a search names is one join on the
primary key ``(task_run_id, key)`` of ``params`` / ``metric_latest``. A join is INNER when the
filter cannot be true without the value (any comparison in a top-level ``and``), which lets the
database start from the ``(key, value)`` index instead of scanning every run. Ordering by a field
runs in two phases: rows that have the first order key (an index walk that stops after
``limit`` rows), then — only if the page is not full — rows that lack it. Pipeline scope reaches
a task by name through ``task_runs`` (the latest attempt of that name in the pipeline run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from ...query.ast import And as AndNode
from ...query.ast import Compare, Expr, Field, InList, IsNull, Like, Not, Or, OrderKey
from ...query.fields import RESOURCES
from ...query.spec import ParsedSearch, SearchResult, section_key
from .dialect import like_prefix, utc
from .tables import EventRow, MetricLatestRow, ParamRow, PipelineRunRow, TaskRunRow

__all__ = ["field_keys", "search"]

T_RUNS = TaskRunRow.__table__
T_PIPES = PipelineRunRow.__table__
T_PARAMS = ParamRow.__table__
T_LATEST = MetricLatestRow.__table__
T_EVENTS = EventRow.__table__

_TASK_COLS = {
    "id": "id",
    "name": "name",
    "pipeline": "pipeline",
    "status": "status",
    "started": "started_at",
    "ended": "ended_at",
    "duration": "duration_s",
    "host": "host",
    "code": "code_digest",
    "pipeline_run": "pipeline_run_id",
    "error": "error_type",
}
_PIPE_COLS = {
    "id": "id",
    "name": "pipeline",
    "pipeline": "pipeline",
    "status": "status",
    "started": "started_at",
    "ended": "ended_at",
    "duration": "duration_s",
    "host": "host",
}
_BASE_TASK = ("id", "name", "pipeline", "pipeline_run_id", "status", "started_at", "ended_at")
_BASE_PIPE = ("id", "pipeline", "status", "started_at", "ended_at")
_METRIC_COL = {"last": "value", "min": "min_value", "max": "max_value"}


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    return "str"


def _glob_to_like(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch in "\\%_":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def _glob_sqlite(pattern: str) -> str:
    # GLOB is case-sensitive like PostgreSQL's LIKE; '[' is its only other special character.
    return pattern.replace("[", "[[]")


class _CrossJoin(Join):
    """An inner join SQLite must run left-to-right (its documented ``CROSS JOIN`` rule)."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _cross_join_sqlite(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    return (
        join.left._compiler_dispatch(compiler, **kw)
        + " CROSS JOIN "
        + join.right._compiler_dispatch(compiler, **kw)
        + " ON "
        + join.onclause._compiler_dispatch(compiler, **kw)
    )


@compiles(_CrossJoin)
def _cross_join_default(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    return compiler.visit_join(join, **kw)


@dataclass
class _Join:
    alias: Any
    onclause: Any
    inner: bool = False


class _Compiler:
    def __init__(self, parsed: ParsedSearch, dialect: str) -> None:
        self.p = parsed
        self.dialect = dialect
        self.pipelines = parsed.scope == "pipelines"
        self.base = T_PIPES if self.pipelines else T_RUNS
        self.joins: dict[tuple, _Join] = {}
        self.required: set[tuple] = set()
        # Set while compiling the filter of an order-driven top-k on SQLite (see _rows).
        self.drive: Field | None = None

    # -- joins ----------------------------------------------------------------------------------
    def _task(self, task: str) -> Any:
        """The latest attempt of task ``task`` in the pipeline run (pipeline scope)."""
        key = ("task", task)
        if key not in self.joins:
            t = T_RUNS.alias(f"t{len(self.joins)}")
            newer = T_RUNS.alias(f"n{len(self.joins)}")
            later = (
                sa.select(sa.literal(1))
                .where(
                    newer.c.pipeline_run_id == t.c.pipeline_run_id,
                    newer.c.name == t.c.name,
                    sa.or_(
                        newer.c.started_at > t.c.started_at,
                        sa.and_(newer.c.started_at == t.c.started_at, newer.c.id > t.c.id),
                    ),
                )
                .exists()
            )
            on = sa.and_(t.c.pipeline_run_id == self.base.c.id, t.c.name == task, ~later)
            self.joins[key] = _Join(t, on)
        return self.joins[key].alias

    def _owner(self, f: Field) -> Any:
        return self._task(f.task) if f.task is not None else self.base

    def _kv(self, table: sa.Table, f: Field, prefix: str) -> Any:
        key = (prefix, f.task, f.name)
        if key not in self.joins:
            owner = self._owner(f)
            a = table.alias(f"{prefix}{len(self.joins)}")
            on = sa.and_(a.c.task_run_id == owner.c.id, a.c.key == f.name)
            self.joins[key] = _Join(a, on)
        return self.joins[key].alias

    def _join_keys(self, f: Field) -> list[tuple]:
        if f.kind == "param":
            keys = [("p", f.task, f.name)]
        elif f.kind == "metric":
            keys = [("m", f.task, f.name)]
        else:
            return []
        return keys + ([("task", f.task)] if f.task is not None else [])

    # -- values ---------------------------------------------------------------------------------
    def _json(self, doc: Any, path: tuple[str, ...], kind: str) -> Any:
        """A typed value inside a JSON document; NULL when the stored value has another type."""
        if self.dialect == "postgresql":
            node = doc[path] if len(path) > 1 else doc[path[0]]
            types = {"num": "number", "str": "string", "bool": "boolean", "any": None}
            getter = {
                "num": lambda n: n.as_float(),
                "str": lambda n: n.as_string(),
                "bool": lambda n: n.as_boolean(),
                "any": lambda n: n.as_string(),
            }[kind]
            if types[kind] is None:
                return getter(node)
            return sa.case((sa.func.json_typeof(node) == types[kind], getter(node)))
        jpath = "$" + "".join('."' + p.replace('"', '\\"') + '"' for p in path)
        ptype = sa.func.json_type(doc, sa.literal(jpath))
        value = sa.func.json_extract(doc, sa.literal(jpath))
        wanted = {"num": ("integer", "real"), "str": ("text",), "bool": ("true", "false")}
        if kind == "any":
            return value
        return sa.case((ptype.in_(wanted[kind]), value))

    def _resource(self, name: str) -> Any:
        doc = self.base.c.resources
        if name == "cpu_s":
            return self._json(doc, ("cpu_user_s",), "num") + self._json(
                doc, ("cpu_system_s",), "num"
            )
        return self._json(doc, RESOURCES[name], "num")

    def value(self, f: Field, kind: str = "num") -> Any:
        """The SQL expression of ``f`` (``kind`` picks the typed column of params/JSON)."""
        if f.kind == "column":
            cols = _PIPE_COLS if self.pipelines else _TASK_COLS
            return self.base.c[cols[f.name]]
        if f.kind == "metric":
            return self._kv(T_LATEST, f, "m").c[_METRIC_COL[f.agg]]
        if f.kind == "param":
            a = self._kv(T_PARAMS, f, "p")
            return {"num": a.c.num_value, "str": a.c.str_value, "bool": a.c.bool_value}[kind]
        if f.kind == "resource":
            return self._resource(f.name)
        if f.kind == "external":
            return self._json(self.base.c.external_ids, (f.name,), kind)
        if f.kind == "config":
            return self._json(self.base.c.config, (f.name,), kind)
        raise ValueError(f"no value expression for {f.kind}")  # io is compiled as EXISTS

    # -- predicates -----------------------------------------------------------------------------
    def _io(self, f: Field, cond: Any | None) -> Any:
        e = T_EVENTS.alias(f"e{len(self.joins)}")
        self.joins[("io", len(self.joins))] = _Join(None, None)  # keeps alias names unique
        where = [e.c.direction == ("input" if f.name == "inputs" else "output")]
        if cond is not None:
            where.append(cond(e.c.artifact_digest))
        if self.pipelines:
            t = T_RUNS.alias(f"io{len(self.joins)}")
            stmt = (
                sa.select(sa.literal(1))
                .select_from(t.join(e, e.c.task_run_id == t.c.id))
                .where(t.c.pipeline_run_id == self.base.c.id, *where)
            )
        else:
            stmt = sa.select(sa.literal(1)).where(e.c.task_run_id == self.base.c.id, *where)
        return stmt.exists()

    def _digest(self, value: str) -> Any:
        return lambda col: col.like(like_prefix(str(value)), escape="\\")

    def _cmp(self, f: Field, op: str, value: Any) -> Any:
        if f.kind == "io":
            exists = self._io(f, self._digest(value))
            return exists if op == "=" else ~exists
        kind = _kind_of(value) if f.kind in ("param", "external", "config") else "num"
        col = self.value(f, kind)
        if f.kind == "param" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self._undriving(f):
            col = col.concat("") if isinstance(value, str) else col + 0
        return {
            "=": col.__eq__,
            "!=": col.__ne__,
            "<": col.__lt__,
            "<=": col.__le__,
            ">": col.__gt__,
            ">=": col.__ge__,
        }[op](value)

    def _undriving(self, f: Field) -> bool:
        """SQLite's planner has no value histograms: after ANALYZE it believes ``params.lr =
        0.1`` matches a handful of rows when it matches a seventh of them, starts there and
        sorts everything. For a top-k ordered by a param or metric, the other param/metric
        comparisons (and, for pipeline runs, pipeline/name/status) are written so no index can
        serve them (``x + 0``, ``x || ''``): the walk then starts at the order key's
        ``(key, value)`` index and stops after ``limit`` matches."""
        d = self.drive
        if d is None or f == d:
            return False
        if f.kind in ("param", "metric"):
            return (f.kind, f.task, f.name) != (d.kind, d.task, d.name)
        return self.pipelines and f.kind == "column" and f.name in ("pipeline", "name", "status")

    def _like(self, f: Field, pattern: str) -> Any:
        def match(col: Any) -> Any:
            if self.dialect == "sqlite":
                return col.op("GLOB", is_comparison=True)(_glob_sqlite(pattern))
            return col.like(_glob_to_like(pattern), escape="\\")

        if f.kind == "io":
            return self._io(f, match)
        return match(self.value(f, "str"))

    def _is_null(self, f: Field) -> Any:
        if f.kind == "io":
            return ~self._io(f, None)
        if f.kind == "param":
            a = self._kv(T_PARAMS, f, "p")
            return sa.or_(a.c.task_run_id.is_(None), sa.cast(a.c.value, sa.Text) == "null")
        if f.kind in ("external", "config"):
            doc = self.base.c.external_ids if f.kind == "external" else self.base.c.config
            return self._json(doc, (f.name,), "any").is_(None)
        return self.value(f).is_(None)

    def expr(self, node: Expr) -> Any:
        if isinstance(node, Compare):
            return self._cmp(node.field, node.op, node.value)
        if isinstance(node, InList):
            hit = sa.or_(*(self._cmp(node.field, "=", v) for v in node.values))
            return ~hit if node.negate else hit
        if isinstance(node, Like):
            hit = self._like(node.field, node.pattern)
            return ~hit if node.negate else hit
        if isinstance(node, IsNull):
            hit = self._is_null(node.field)
            return ~hit if node.negate else hit
        if isinstance(node, AndNode):
            return sa.and_(*(self.expr(i) for i in node.items))
        if isinstance(node, Or):
            return sa.or_(*(self.expr(i) for i in node.items))
        if isinstance(node, Not):
            return ~self.expr(node.item)
        raise TypeError(node)

    def mark_required(self, node: Expr | None) -> None:
        """Fields a top-level conjunct cannot be true without: their joins may be INNER."""
        if node is None:
            return
        items = node.items if isinstance(node, AndNode) else (node,)
        for item in items:
            negations = 0
            while isinstance(item, Not):
                item, negations = item.item, negations + 1
            if isinstance(item, (Compare, InList, Like)) or (
                isinstance(item, IsNull) and (item.negate != (negations % 2 == 1))
            ):
                self.required.update(self._join_keys(item.field))
            if isinstance(item, AndNode) and negations == 0:
                self.mark_required(item)

    # -- statement --------------------------------------------------------------------------------
    def from_clause(self) -> Any:
        src = self.base
        lead: list[tuple] = []
        if self.drive is not None:
            # Order-driven top-k on SQLite: the order key's (key, value) index is the outer
            # loop, then its task run (pipeline scope), then the base row; the rest follow.
            d = self.drive
            lead = [("p" if d.kind == "param" else "m", d.task, d.name)]
            if d.task is not None:
                lead.append(("task", d.task))
            first = self.joins[lead[0]]
            src = first.alias
            for key in lead[1:]:
                j = self.joins[key]
                src = _CrossJoin(src, j.alias, sa.and_(first.onclause, j.onclause))
                first = _Join(None, sa.true())
            src = _CrossJoin(src, self.base, first.onclause)
        for key, j in self.joins.items():
            if j.alias is None or key in lead:
                continue
            inner = key in self.required
            src = src.join(j.alias, j.onclause, isouter=not inner)
        return src

    def order_exprs(self, keys: list[OrderKey]) -> list[Any]:
        out = []
        for k in keys:
            for col in self._order_cols(k.field):
                e = col.desc() if k.descending else col.asc()
                # NULLs last either way (SQLite sorts them first, PostgreSQL last, by default).
                if (self.dialect == "sqlite") != k.descending:
                    e = e.nulls_last()
                out.append(e)
        return out

    def _order_cols(self, f: Field) -> list[Any]:
        if f.kind == "param":  # numbers, then strings, then booleans
            return [self.value(f, "num"), self.value(f, "str"), self.value(f, "bool")]
        if f.kind == "io":
            return []
        return [self.value(f, "num")]


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return utc(value).isoformat()
    return value


def _row_doc(c: _Compiler, m: Any, fields: list[Field]) -> dict[str, Any]:
    if c.pipelines:
        row = {k: _plain(m[k]) for k in _BASE_PIPE}
        row["duration_s"] = m["duration_s"]
    else:
        row = {k: _plain(m[k]) for k in _BASE_TASK}
        row["duration_s"] = m["duration_s"]
    for i, f in enumerate(fields):
        section, key = section_key(f)
        if f.kind == "io":
            continue
        value = m[f"c{i}"]
        if f.kind == "resource" and value is not None:
            value = float(value)
        if section is None:
            row[key] = _plain(value)
        else:
            row.setdefault(section, {})[key] = _plain(value)
    for section in ("params", "metrics"):
        row.setdefault(section, {})
    return row


def _output_col(c: _Compiler, f: Field) -> Any:
    if f.kind == "param":
        return c._kv(T_PARAMS, f, "p").c.value
    if f.kind in ("external", "config"):
        return c.value(f, "any")
    return c.value(f)


def _rows(conn: sa.Connection, c: _Compiler, fields: list[Field]) -> list[dict[str, Any]]:
    p = c.p
    base_cols = [c.base.c[k] for k in (_BASE_PIPE if c.pipelines else _BASE_TASK)]
    base_cols.append(c.base.c.duration_s)
    outs = [_output_col(c, f).label(f"c{i}") for i, f in enumerate(fields) if f.kind != "io"]
    order = p.order_by or [OrderKey(Field("column", "started", text="started"), True)]
    first, rest = order[0], order[1:]
    driven = c.dialect == "sqlite" and first.field.kind in ("param", "metric") and p.limit <= 1000
    where = c.expr(p.where) if p.where is not None else None
    c.mark_required(p.where)
    if driven:
        c.drive = first.field
        driven_where = c.expr(p.where) if p.where is not None else None
        c.drive = None
    else:
        driven_where = where
    firsts = c._order_cols(first.field)
    # Phase 1: rows with the first order key (an index walk when it is a metric or param).
    phase1_cond = firsts[0].isnot(None) if firsts else None
    if phase1_cond is not None:
        c.required.update(c._join_keys(first.field))
    found: list[dict[str, Any]] = []

    def run(conds: list[Any], order_by: list[Any], limit: int, offset: int) -> None:
        stmt = _where(sa.select(*base_cols, *outs).select_from(c.from_clause()), conds)
        stmt = stmt.order_by(*order_by, c.base.c.id).limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        for r in conn.execute(stmt):
            found.append(_row_doc(c, r._mapping, fields))

    if phase1_cond is None:
        run([where], c.order_exprs(order), p.limit, p.offset)
        return found
    col = firsts[0]
    c.drive = first.field if driven else None
    run(
        [driven_where, phase1_cond],
        [col.desc() if first.descending else col.asc()] + c.order_exprs(rest),
        p.limit,
        p.offset,
    )
    c.drive = None
    if len(found) < p.limit:
        # Phase 2 skips what the offset left over after every phase-1 row.
        skip = 0
        if p.offset and not found:
            skip = max(0, p.offset - _count(conn, c, [where, phase1_cond]))
        c.required.difference_update(c._join_keys(first.field))
        c.mark_required(p.where)
        tail = c.order_exprs([OrderKey(first.field, first.descending)])[1:] + c.order_exprs(rest)
        run([where, firsts[0].is_(None)], tail, p.limit - len(found), skip)
    return found


def _where(stmt: sa.Select, conds: list[Any]) -> sa.Select:
    for cond in conds:
        if cond is not None:
            stmt = stmt.where(cond)
    return stmt


def _count(conn: sa.Connection, c: _Compiler, conds: list[Any]) -> int:
    stmt = _where(sa.select(sa.func.count()).select_from(c.from_clause()), conds)
    return int(conn.execute(stmt).scalar_one())


def _total(conn: sa.Connection, c: _Compiler) -> int:
    """Every run the filter matches (the joins added for columns and order are outer joins on
    a primary key: they never add rows)."""
    c.drive = None
    c.required = set()
    c.mark_required(c.p.where)
    return _count(conn, c, [c.expr(c.p.where) if c.p.where is not None else None])


def _io_lists(conn: sa.Connection, c: _Compiler, rows: list[dict], fields: list[Field]) -> None:
    wanted = [f for f in fields if f.kind == "io"]
    if not wanted or not rows:
        return
    ids = [r["id"] for r in rows]
    e = T_EVENTS
    if c.pipelines:
        t = T_RUNS
        stmt = (
            sa.select(t.c.pipeline_run_id, e.c.direction, e.c.artifact_digest)
            .select_from(e.join(t, t.c.id == e.c.task_run_id))
            .where(t.c.pipeline_run_id.in_(ids))
        )
    else:
        stmt = sa.select(e.c.task_run_id, e.c.direction, e.c.artifact_digest).where(
            e.c.task_run_id.in_(ids)
        )
    by_run: dict[tuple[str, str], list[str]] = {}
    for rid, direction, digest in conn.execute(stmt):
        lst = by_run.setdefault((rid, "inputs" if direction == "input" else "outputs"), [])
        if digest not in lst:
            lst.append(digest)
    for r in rows:
        for f in wanted:
            r[f.name] = sorted(by_run.get((r["id"], f.name), []))


def search(conn: sa.Connection, parsed: ParsedSearch) -> SearchResult:
    """Run one parsed search on ``conn``."""
    c = _Compiler(parsed, conn.dialect.name)
    if parsed.group_by or parsed.aggs:
        from .search_groups import grouped

        return grouped(conn, c, parsed)
    fields = list(parsed.columns)
    rows = _rows(conn, c, fields)
    _io_lists(conn, c, rows, fields)
    return SearchResult(
        scope=parsed.scope,
        columns=[f.text for f in fields],
        rows=rows,
        total=_total(conn, c) if parsed.total else None,
    )


def field_keys(conn: sa.Connection, limit: int) -> dict[str, list[str]]:
    """The param and metric keys task runs have (each list sorted, at most ``limit``), for
    pickers such as the web UI's column chooser."""
    return {
        section: list(
            conn.execute(sa.select(t.c.key).distinct().order_by(t.c.key).limit(limit)).scalars()
        )
        for section, t in (("params", T_PARAMS), ("metrics", T_LATEST))
    }
