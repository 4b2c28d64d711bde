"""The search language on the command line: ``runs``/``pipelines --where ...`` and ``best``."""

from __future__ import annotations

from typing import Any

import click

from ..query.parser import parse_columns, parse_where
from ..query.spec import SearchResult, row_value
from .main import cli, client
from .output import emit_json, fmt_duration, table

__all__ = ["SEARCH_OPTIONS", "render", "search_given", "with_filters"]

SEARCH_OPTIONS = [
    click.option("--where", help="Filter in the search language, e.g. 'params.lr > 0.01'."),
    click.option("--order-by", "order_by", help="e.g. 'metrics.val_acc desc, duration'."),
    click.option("--columns", help="Fields to show, e.g. 'name,params.lr,metrics.val_acc'."),
    click.option("--group-by", "group_by", help="Group rows by fields, e.g. 'name,pipeline'."),
    click.option("--agg", help="Per group, e.g. 'count, avg(duration), p95(duration)'."),
]


def search_options(fn):
    for opt in reversed(SEARCH_OPTIONS):
        fn = opt(fn)
    return fn


def search_given(**values: Any) -> bool:
    return any(v is not None for v in values.values())


def quote(text: str) -> str:
    """``text`` as a string literal of the search language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def with_filters(where: str | None, scope: str = "runs", **equal: str | None) -> str | None:
    """``where`` and-ed with ``field = 'value'`` for the plain filter options that are set.

    ``where`` is checked on its own first, so an error's column counts in what the user typed.
    """
    parts = [f"{k} = {quote(v)}" for k, v in equal.items() if v is not None]
    if where is not None:
        parse_where(where, scope)  # type: ignore[arg-type]
        parts.append(f"({where})" if parts else where)
    return " and ".join(parts) if parts else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ",".join(str(v)[:12] for v in value)
    return str(value)


def render(result: SearchResult, as_json: bool) -> None:
    """JSON rows as they are, or a table: identity columns, then the requested fields."""
    if as_json:
        emit_json(result.rows)
        return
    if result.grouped:
        table(result.columns, [[_cell(r.get(c)) for c in result.columns] for r in result.rows])
        return
    fields = (
        {f.text: f for f in parse_columns(result.columns, result.scope)} if result.columns else {}
    )
    if result.scope == "runs":
        head = ["id", "name", "status", "started", "duration"]
        ident = lambda r: [r["id"][:12], r["name"], r["status"]]  # noqa: E731
    else:
        head = ["id", "pipeline", "status", "started", "duration"]
        ident = lambda r: [r["id"][:12], r["pipeline"], r["status"]]  # noqa: E731
    extra = [c for c in result.columns if c not in ("id", "name", "pipeline", "status")]
    table(
        head + extra,
        [
            ident(r)
            + [(r.get("started_at") or "")[:19].replace("T", " "), fmt_duration(r["duration_s"])]
            + [_cell(row_value(r, c, fields)) for c in extra]
            for r in result.rows
        ],
    )


@cli.command()
@click.argument("metric")
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option("--where", help="Also require this (search language).")
@click.option("--lowest", is_flag=True, help="Lowest value wins (losses, errors).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def best(ctx, metric, pipeline, where, lowest, as_json):
    """The best run by METRIC, with its params, inputs and model outputs.

    METRIC 'metrics.<task>.<key>' (e.g. metrics.evaluate.f1) ranks pipeline runs by that task's
    metric; 'metrics.<key>' ranks task runs.
    """
    won = client(ctx).best(metric, pipeline=pipeline, where=where, lowest=lowest)
    if as_json:
        emit_json(won)
        return
    what = "pipeline run" if won.scope == "pipelines" else "run"
    label = won.run.get("pipeline") if won.scope == "pipelines" else won.run.get("name")
    click.echo(f"best {what}: {won.run['id']}  ({label}, {won.run['status']})")
    click.echo(f"{won.metric} = {_cell(won.value)}")
    if won.params:
        click.echo("params:")
        for task, params in won.params.items():
            for k, v in params.items():
                click.echo(f"  {task + '.' if won.scope == 'pipelines' else ''}{k} = {v!r}")
    if won.inputs:
        click.echo("inputs:")
        for ref in won.inputs:
            click.echo(f"  {ref.name}: {ref.digest[:16]} {ref.kind} {ref.uri or ''}".rstrip())
    if won.models:
        click.echo("models:")
        for ref in won.models:
            click.echo(f"  {ref.name}: {ref.digest[:16]} {ref.kind} {ref.uri or ''}".rstrip())
