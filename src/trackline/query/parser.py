"""The grammar (lark, LALR) and the functions that turn text into checked AST nodes.

Precedence, loosest first: ``or``, ``and``, ``not``, then a comparison or a parenthesised
expression. Keywords are case-insensitive. Strings take single or double quotes with backslash
escapes. Limits keep a hostile expression cheap to refuse: ``MAX_LENGTH`` characters,
``MAX_DEPTH`` levels of nesting and ``MAX_IN`` values in one ``in (...)`` list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from ..errors import QueryError
from .ast import Agg, And, Compare, Expr, Field, InList, IsNull, Like, Not, Or, OrderKey, Value
from .fields import RESOURCES, Scope, field_type, resolve

__all__ = [
    "AGG_FUNCS",
    "MAX_DEPTH",
    "MAX_IN",
    "MAX_LENGTH",
    "parse_aggs",
    "parse_columns",
    "parse_order_by",
    "parse_where",
]

MAX_LENGTH = 8192
MAX_DEPTH = 64
MAX_IN = 1000
AGG_FUNCS = ("count", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99")

GRAMMAR = r"""
?where: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> not_
         | atom
?atom: "(" or_expr ")"
     | predicate
predicate: field COMPARE value               -> compare
         | field _IN "(" values ")"          -> in_
         | field _NOT _IN "(" values ")"     -> not_in
         | field _LIKE STRING                -> like
         | field _NOT _LIKE STRING           -> not_like
         | field _IS _NULL                   -> is_null
         | field _IS _NOT _NULL              -> is_not_null
values: value ("," value)*
field: segment ("." segment)*
segment: NAME | STRING
value: NUMBER | STRING | TRUE | FALSE | DATE | RELTIME

order: order_key ("," order_key)*
order_key: field (ASC | DESC)?
columns: field ("," field)*
aggs: agg ("," agg)*
agg: NAME ("(" field ")")?

COMPARE: "<=" | ">=" | "!=" | "<>" | "=" | "<" | ">"
_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
_LIKE.2: /like\b/i
_IS.2: /is\b/i
_NULL.2: /null\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i
ASC.2: /asc\b/i
DESC.2: /desc\b/i
DATE.3: /\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?/
RELTIME.3: /-\d+(\.\d+)?[smhdw]\b/
NUMBER.2: /[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
NAME: /[A-Za-z_][A-Za-z0-9_\-]*/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/
%import common.WS
%ignore WS
"""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    return _ESCAPE.sub(lambda m: m.group(1), text[1:-1])


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        GRAMMAR,
        parser="lalr",
        start=["where", "order", "columns", "aggs"],
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _time(text: str, column: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"'{text}' at column {column} is not an ISO date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Lit:
    """A literal with where it was written (kept until the field it meets is known)."""

    __slots__ = ("value", "kind", "text", "column")

    def __init__(self, value: Value, kind: str, text: str, column: int) -> None:
        self.value, self.kind, self.text, self.column = value, kind, text, column


class _Build(Transformer):
    """Bottom-up: tokens to literals and fields, predicates type-checked against their field."""

    def __init__(self, scope: Scope, now: datetime) -> None:
        super().__init__()
        self.scope = scope
        self.now = now

    # -- leaves -----------------------------------------------------------------------------
    def segment(self, items: list[Token]) -> tuple[str, bool, int]:
        tok = items[0]
        quoted = tok.type == "STRING"
        text = _unquote(tok) if quoted else str(tok)
        if quoted and not text:
            raise QueryError(f"empty quoted key at column {tok.column}")
        return text, quoted, tok.column

    def field(self, items: list[tuple[str, bool, int]]) -> Field:
        text = ".".join(('"' + s.replace('"', '\\"') + '"') if q else s for s, q, _ in items)
        return resolve([(s, q) for s, q, _ in items], text, items[0][2], self.scope)

    def value(self, items: list[Token]) -> _Lit:
        tok = items[0]
        kind = tok.type
        if kind == "NUMBER":
            num = float(tok) if any(c in tok for c in ".eE") else int(tok)
            return _Lit(num, "number", str(tok), tok.column)
        if kind == "STRING":
            return _Lit(_unquote(tok), "string", str(tok), tok.column)
        if kind in ("TRUE", "FALSE"):
            return _Lit(kind == "TRUE", "bool", str(tok), tok.column)
        if kind == "DATE":
            return _Lit(_time(tok, tok.column), "time", str(tok), tok.column)
        amount, unit = float(tok[1:-1]), tok[-1]
        return _Lit(self.now - timedelta(seconds=amount * _UNITS[unit]), "time", tok, tok.column)

    def values(self, items: list[_Lit]) -> list[_Lit]:
        if len(items) > MAX_IN:
            raise QueryError(f"an 'in' list holds at most {MAX_IN} values (got {len(items)})")
        return items

    # -- predicates ---------------------------------------------------------------------------
    def _check(self, f: Field, lit: _Lit, op: str) -> Value:
        want = field_type(f, self.scope)
        where = f"at column {lit.column}"
        if want == "time":
            if lit.kind == "time":
                return lit.value
            if lit.kind == "string":
                return _time(str(lit.value), lit.column)
            raise QueryError(
                f"'{f.text}' is a time: compare it with an ISO date or a relative time such as "
                f"-7d, not {lit.text} {where}"
            )
        if want == "number":
            if lit.kind != "number":
                raise QueryError(f"'{f.text}' is a number: {lit.text} {where} is not")
            return lit.value
        if want in ("text", "io"):
            if lit.kind not in ("string", "time"):
                raise QueryError(f"'{f.text}' is text: quote {lit.text} {where}")
            if want == "io" and op not in ("=", "!="):
                raise QueryError(
                    f"'{f.text}' takes =, !=, in, not in, like or is null (a digest or a "
                    f"prefix), not {op} {where}"
                )
            return lit.text if lit.kind == "time" else lit.value
        # params, external, config: typed by the literal; an unquoted date is its own text
        return lit.text if lit.kind == "time" else lit.value

    @v_args(inline=True)
    def compare(self, f: Field, op: Token, lit: _Lit) -> Expr:
        op_s = "!=" if op == "<>" else str(op)
        return Compare(f, op_s, self._check(f, lit, op_s))  # type: ignore[arg-type]

    @v_args(inline=True)
    def in_(self, f: Field, lits: list[_Lit]) -> Expr:
        return InList(f, tuple(self._check(f, lit, "=") for lit in lits))

    @v_args(inline=True)
    def not_in(self, f: Field, lits: list[_Lit]) -> Expr:
        return InList(f, tuple(self._check(f, lit, "=") for lit in lits), negate=True)

    def _like(self, f: Field, tok: Token, negate: bool) -> Expr:
        if field_type(f, self.scope) in ("number", "time"):
            raise QueryError(f"'{f.text}' is not text: 'like' at column {tok.column} needs text")
        return Like(f, _unquote(tok), negate)

    @v_args(inline=True)
    def like(self, f: Field, tok: Token) -> Expr:
        return self._like(f, tok, False)

    @v_args(inline=True)
    def not_like(self, f: Field, tok: Token) -> Expr:
        return self._like(f, tok, True)

    @v_args(inline=True)
    def is_null(self, f: Field) -> Expr:
        return IsNull(f)

    @v_args(inline=True)
    def is_not_null(self, f: Field) -> Expr:
        return IsNull(f, negate=True)

    def and_expr(self, items: list[Expr]) -> Expr:
        return And(tuple(items))

    def or_expr(self, items: list[Expr]) -> Expr:
        return Or(tuple(items))

    @v_args(inline=True)
    def not_(self, item: Expr) -> Expr:
        return Not(item)

    # -- order, columns, aggregates -----------------------------------------------------------
    def order_key(self, items: list) -> OrderKey:
        desc = len(items) > 1 and items[1].type == "DESC"
        return OrderKey(items[0], desc)

    def order(self, items: list[OrderKey]) -> list[OrderKey]:
        return items

    def columns(self, items: list[Field]) -> list[Field]:
        return items

    def agg(self, items: list) -> Agg:
        name = str(items[0]).lower()
        f = items[1] if len(items) > 1 else None
        if name not in AGG_FUNCS:
            raise QueryError(
                f"unknown aggregate '{items[0]}' at column {items[0].column}; "
                f"known: {', '.join(AGG_FUNCS)}"
            )
        if name != "count" and f is None:
            raise QueryError(f"'{name}' at column {items[0].column} needs a field: {name}(field)")
        if f is not None and field_type(f, self.scope) not in ("number", "any"):
            raise QueryError(f"'{name}({f.text})': {name} needs a numeric field")
        text = f"{name}({f.text})" if f is not None else name
        return Agg(name, f, text)

    def aggs(self, items: list[Agg]) -> list[Agg]:
        return items


def _depth(text: str) -> int:
    """Nesting of parentheses and ``not`` outside strings, counted before parsing."""
    depth = best = nots = 0
    for m in re.finditer(r"\"(\\.|[^\"\\])*\"|'(\\.|[^'\\])*'|\(|\)|\bnot\b", text, re.I):
        tok = m.group(0)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok.lower() == "not":
            nots += 1
        best = max(best, depth)
    return best + min(nots, MAX_DEPTH + 1)


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    pretty = {
        "RPAR": "')'",
        "LPAR": "'('",
        "COMMA": "','",
        "DOT": "'.'",
        "COMPARE": "an operator",
        "NAME": "a field",
        "STRING": "a quoted string",
        "NUMBER": "a number",
        "_AND": "'and'",
        "_OR": "'or'",
        "_IN": "'in'",
        "_IS": "'is'",
        "_LIKE": "'like'",
        "_NULL": "'null'",
        "_NOT": "'not'",
        "DATE": "a date",
        "RELTIME": "a relative time",
        "TRUE": "true",
        "FALSE": "false",
    }
    shown = sorted({pretty.get(n, n.lower()) for n in names})
    return f" (expected {', '.join(shown[:6])})" if shown else ""


def _parse(text: str, start: str, scope: Scope, now: datetime | None, what: str):
    if not isinstance(text, str):
        raise QueryError(f"{what} must be text")
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"{what} is {len(text):,} characters; the limit is {MAX_LENGTH:,} characters"
        )
    if not text.strip():
        raise QueryError(f"{what} is empty")
    if _depth(text) > MAX_DEPTH:
        raise QueryError(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedEOF as exc:
        raise QueryError(f"{what} ends early at column {len(text) + 1}{_expected(exc)}") from None
    except UnexpectedCharacters as exc:
        raise QueryError(
            f"unexpected character {text[exc.pos_in_stream]!r} at column {exc.column}"
        ) from None
    except UnexpectedInput as exc:
        tok = getattr(exc, "token", None)
        if tok is not None and tok.type == "$END":
            raise QueryError(
                f"{what} ends early at column {len(text) + 1}{_expected(exc)}"
            ) from None
        shown = f"'{tok}'" if tok is not None else "input"
        raise QueryError(f"unexpected {shown} at column {exc.column}{_expected(exc)}") from None
    try:
        return _Build(scope, now or datetime.now(UTC)).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise


def parse_where(text: str, scope: Scope = "runs", now: datetime | None = None) -> Expr:
    """``text`` as a checked expression of ``scope``; relative times count back from ``now``."""
    return _parse(text, "where", scope, now, "the expression")


def parse_order_by(text: str, scope: Scope = "runs") -> list[OrderKey]:
    """``'metrics.acc desc, duration'`` as order keys."""
    return _parse(text, "order", scope, None, "the order")


def parse_columns(text: str | list[str], scope: Scope = "runs") -> list[Field]:
    """``'name,params.lr,metrics.acc'`` (or a list of names) as fields."""
    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    return _parse(text, "columns", scope, None, "the column list")


def parse_aggs(text: str | list[str], scope: Scope = "runs") -> list[Agg]:
    """``'count, avg(duration), p95(duration)'`` as aggregates."""
    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    return _parse(text, "aggs", scope, None, "the aggregate list")


# Resource names are part of the documented language; re-exported for docs and help text.
RESOURCE_NAMES = tuple(RESOURCES)
