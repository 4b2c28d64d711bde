"""Field names of the language and how a dotted path resolves to a ``Field`` in a scope.

Two scopes: ``runs`` (one task run: ``params.lr``) and ``pipelines`` (one pipeline run, whose
tasks are addressed by name: ``params.train.lr``, ``metrics.evaluate.f1``).
"""

from __future__ import annotations

import difflib
from typing import Literal

from ..errors import QueryError
from .ast import Field

__all__ = [
    "RESOURCES",
    "Scope",
    "field_type",
    "known_fields",
    "resolve",
]

Scope = Literal["runs", "pipelines"]

# Column fields of each scope -> (column name in the store, value type)
TASK_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "pipeline": "text",
    "status": "text",
    "started": "time",
    "ended": "time",
    "duration": "number",
    "host": "text",
    "code": "text",
    "pipeline_run": "text",
    "error": "text",
}
PIPELINE_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",  # the pipeline's name, same as ``pipeline``
    "pipeline": "text",
    "status": "text",
    "started": "time",
    "ended": "time",
    "duration": "number",
    "host": "text",
}
# Resource names -> path in the stored ResourceUsage document (cpu_s is user + system).
RESOURCES: dict[str, tuple[str, ...]] = {
    "cpu_s": (),
    "cpu_user_s": ("cpu_user_s",),
    "cpu_system_s": ("cpu_system_s",),
    "peak_rss": ("peak_rss_bytes",),
    "io_read": ("io_read_bytes",),
    "io_write": ("io_write_bytes",),
    "gpu_mem_peak": ("gpu", "memory_used_bytes_peak"),
    "gpu_util_peak": ("gpu", "util_percent_peak"),
}
METRIC_AGGS = ("last", "min", "max")
_NAMESPACES = {
    "runs": ("params", "metrics", "external", "resources"),
    "pipelines": ("params", "metrics", "external", "config"),
}


def _columns(scope: Scope) -> dict[str, str]:
    return TASK_COLUMNS if scope == "runs" else PIPELINE_COLUMNS


def known_fields(scope: Scope) -> list[str]:
    """Every field name a user can type (namespaces shown with a placeholder key)."""
    names = list(_columns(scope)) + ["inputs", "outputs"]
    task = "" if scope == "runs" else "<task>."
    names += [f"params.{task}<key>", f"metrics.{task}<key>", "external.<key>"]
    names += ["config.<key>"] if scope == "pipelines" else [f"resources.{r}" for r in RESOURCES]
    return names


def field_type(f: Field, scope: Scope) -> str:
    """``text``, ``time``, ``number``, ``io`` or ``any`` (typed by the literal it meets)."""
    if f.kind == "column":
        return _columns(scope)[f.name]
    if f.kind in ("metric", "resource"):
        return "number"
    if f.kind == "io":
        return "io"
    return "any"


def _unknown(text: str, column: int, suggestion: str | None) -> QueryError:
    hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
    return QueryError(f"unknown field '{text}' at column {column}{hint}")


def _close(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def _quote(seg: str) -> str:
    return seg if seg.isidentifier() else '"' + seg.replace('"', '\\"') + '"'


def resolve(parts: list[tuple[str, bool]], text: str, column: int, scope: Scope) -> Field:
    """A dotted path (segments with a quoted flag) as a field of ``scope``, or ``QueryError``."""
    head, head_quoted = parts[0]
    rest = parts[1:]
    cols = _columns(scope)
    spaces = _NAMESPACES[scope]
    if not rest:
        if head in cols and not head_quoted:
            return Field("column", head, text=text, column=column)
        if head in ("inputs", "outputs") and not head_quoted:
            return Field("io", head, text=text, column=column)
        if head in spaces:
            raise QueryError(
                f"field '{text}' at column {column} needs a key, e.g. '{head}.<key>'"
                + (
                    " (in pipeline queries: '<namespace>.<task>.<key>')"
                    if scope == "pipelines" and head in ("params", "metrics")
                    else ""
                )
            )
        guess = _close(head, list(cols) + ["inputs", "outputs"])
        raise _unknown(text, column, guess)
    if head not in spaces:
        guess = _close(head, spaces)
        if guess is None and head == "resources":
            raise QueryError(
                f"field '{text}' at column {column}: resources are fields of task runs; "
                "use `trackline runs` (pipeline queries address tasks by params/metrics)"
            )
        suggestion = ".".join([guess] + [_quote(s) for s, _ in rest]) if guess else None
        if head in cols:
            suggestion = None
        raise _unknown(text, column, suggestion)
    if head == "resources":
        name = ".".join(s for s, _ in rest)
        if name not in RESOURCES:
            guess = _close(name, list(RESOURCES))
            raise _unknown(text, column, f"resources.{guess}" if guess else None)
        return Field("resource", name, text=text, column=column)
    if head in ("external", "config"):
        return Field(head, ".".join(s for s, _ in rest), text=text, column=column)
    task = None
    if scope == "pipelines":
        if len(rest) < 2:
            raise QueryError(
                f"field '{text}' at column {column} names no task: pipeline queries address a "
                f"task by name, e.g. '{head}.train.<key>'"
            )
        task, rest = rest[0][0], rest[1:]
    agg = "last"
    if head == "metrics" and len(rest) > 1 and not rest[-1][1] and rest[-1][0] in METRIC_AGGS:
        agg, rest = rest[-1][0], rest[:-1]
    kind = "param" if head == "params" else "metric"
    return Field(kind, ".".join(s for s, _ in rest), task=task, agg=agg, text=text, column=column)
