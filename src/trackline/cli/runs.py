"""Query commands: runs, show, lineage, diff, artifacts, pipelines, sync."""

from __future__ import annotations

import json
import os

import click

from ..errors import NotFound
from ..model.runs import ArtifactKind, RunStatus
from .main import cli, client
from .output import emit_json, fail, fmt_duration, fmt_time, table
from .render import (
    diff_text,
    dot,
    lineage_text,
    locations_text,
    mermaid,
    pipeline_diff_text,
    pipeline_text,
    show_text,
)
from .search import render, search_given, search_options, with_filters

# Unknown filter values are usage errors (exit 2) that list the allowed values.
_STATUSES = click.Choice([s.value for s in RunStatus])
_KINDS = click.Choice([k.value for k in ArtifactKind])


def _is_path(ref: str) -> bool:
    """A REF that names an existing file or folder is looked up by the bytes there now."""
    return os.path.exists(ref)


def _run_row(r) -> dict:
    return {
        "id": r.id,
        "name": r.name,
        "pipeline": r.pipeline,
        "pipeline_run_id": r.pipeline_run_id,
        "status": r.status,
        "started_at": r.started_at.isoformat() if r.started_at else None,
        "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        "duration_s": r.duration_s,
        "external_ids": r.external_ids,
    }


@cli.command()
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option(
    "--pipeline-run", "pipeline_run_id", help="Only runs of this pipeline run (id or prefix)."
)
@click.option("--status", type=_STATUSES, help="Only runs with this status.")
@click.option("--name", help="Only runs of this task name.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--reap", is_flag=True, help="First mark runs whose heartbeat stopped as crashed.")
@click.option("--all", "show_all", is_flag=True, help="Also trackline's own drift-check runs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@search_options
@click.pass_context
def runs(ctx, pipeline, pipeline_run_id, status, name, limit, reap, show_all, as_json, **search):
    """List task runs, newest first (drift checks only with --all or --name);
    --where/--order-by/--columns/--group-by/--agg search them (docs/query.md)."""
    c = client(ctx)
    reaped = c.reap() if reap else []
    if pipeline_run_id:
        pipeline_run_id = c.pipeline_run_id(pipeline_run_id)
    if search_given(**search):
        search["where"] = with_filters(
            search["where"],
            pipeline=pipeline,
            pipeline_run=pipeline_run_id,
            status=status,
            name=name,
        )
        render(c.search_runs(limit=limit, **search), as_json)
        return
    found = c.runs(
        pipeline=pipeline,
        status=status,
        name=name,
        pipeline_run_id=pipeline_run_id,
        limit=limit,
        monitoring=bool(show_all or name),
    )
    if as_json:
        emit_json([_run_row(r) for r in found])
        return
    if reap:
        click.echo(f"reaped {len(reaped)} run(s) as crashed", err=True)
    table(
        ["id", "name", "pipeline", "status", "started", "duration"],
        [
            [
                r.id[:12],
                r.name,
                r.pipeline,
                r.status,
                fmt_time(r.started_at),
                fmt_duration(r.duration_s),
            ]
            for r in found
        ],
    )


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, ref, as_json):
    """Everything recorded about a task run or a pipeline run (id or unique prefix), or about
    the bytes now at a file or folder PATH."""
    c = client(ctx)
    if _is_path(ref):
        from ..locate import known_bytes

        digest = known_bytes(c.store, ref)
        try:
            art = c.artifact(digest)
        except NotFound:  # recorded only inside a folder
            art = None
        locs = c.locations(digest) if art is not None else []
        if as_json:
            emit_json({"digest": digest, "artifact": art, "locations": locs})
        else:
            click.echo(f"path      {ref}\ndigest    {digest}")
            if art is not None:
                click.echo(f"kind      {art.kind}   rows {art.rows}   size {art.size_bytes}")
                locations_text(locs)
            else:
                click.echo("recorded as a file inside a recorded folder (see `trackline lineage`)")
        return
    try:
        run = c.run(ref)
    except NotFound:
        try:
            pipe = c.pipeline_run(ref)
        except NotFound:
            raise NotFound(f"no run or pipeline run {ref!r}") from None
        runs_of = c.runs(pipeline_run_id=pipe.id, limit=10_000, order="oldest")
        if as_json:
            emit_json({"pipeline_run": pipe, "task_runs": [_run_row(r) for r in runs_of]})
        else:
            pipeline_text(pipe, runs_of)
        return
    if as_json:
        emit_json(run)
    else:
        show_text(run)


@cli.command()
@click.argument("ref")
@click.option(
    "--direction",
    type=click.Choice(["upstream", "downstream", "both"]),
    default="upstream",
    show_default=True,
)
@click.option(
    "--depth",
    type=click.IntRange(1, None),
    default=None,
    help="Max edges from REF (default: no limit).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text")
@click.option("--all-producers", is_flag=True, help="List every run that produced identical bytes.")
@click.option(
    "--pipeline-run",
    "pipeline_run_id",
    help="Put producers from this pipeline run (id or prefix) first.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def lineage(ctx, ref, direction, depth, fmt, all_producers, pipeline_run_id, as_json):
    """Lineage of a run, pipeline run or artifact (id, digest or unique prefix), of a model
    version (NAME/VERSION or NAME@ALIAS), or of the bytes now at a file or folder PATH."""
    from ..model.lineage_view import group_producers

    c = client(ctx)
    if _is_path(ref):
        from ..locate import known_bytes

        ref = known_bytes(c.store, ref)
    try:
        graph = c.lineage(ref, direction, depth)
    except NotFound:
        if "/" not in ref and "@" not in ref:
            raise
        from ..registry import resolve_model

        graph = c.lineage(resolve_model(ref).digest, direction, depth)  # its artifact's lineage
    if pipeline_run_id:
        graph.groups = group_producers(graph, c.pipeline_run_id(pipeline_run_id))
    if as_json:
        emit_json(graph)
    elif fmt == "mermaid":
        click.echo(mermaid(graph))
    elif fmt == "dot":
        click.echo(dot(graph))
    else:
        lineage_text(graph, all_producers=all_producers)


@cli.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def diff(ctx, run_a, run_b, as_json):
    """What differs between two task runs (params, inputs and what changed inside the data,
    code with a source diff, environment, outcome, metrics), or between two pipeline runs
    (their task runs paired by name)."""
    c = client(ctx)
    try:
        c.run(run_a)
        c.run(run_b)
    except NotFound:
        try:
            c.pipeline_run(run_a)
            c.pipeline_run(run_b)
        except NotFound:
            raise NotFound(
                f"{run_a!r} and {run_b!r} are not both task runs nor both pipeline runs"
            ) from None
        pdiff = c.diff_pipelines(run_a, run_b)
        if as_json:
            emit_json(pdiff.model_dump(mode="json") | {"identical": pdiff.identical})
        else:
            pipeline_diff_text(pdiff)
        return
    d = c.diff(run_a, run_b)
    if as_json:
        emit_json(d.model_dump(mode="json") | {"identical": d.identical})
    else:
        diff_text(d)


@cli.group(invoke_without_command=True)
@click.option("--kind", type=_KINDS, help="Only artifacts of this kind.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def artifacts(ctx, kind, limit, as_json):
    """List artifacts, newest first (``artifacts show REF`` for one, with its locations;
    ``artifacts get`` / ``artifacts gc``: their bytes)."""
    if ctx.invoked_subcommand is not None:
        return
    found = client(ctx).artifacts(kind, limit)
    if as_json:
        emit_json(found)
        return
    table(
        ["digest", "kind", "name", "rows", "size", "uri"],
        [[a.digest[:12], a.kind, a.name, a.rows, a.size_bytes, a.uri] for a in found],
    )


@artifacts.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def artifact_show(ctx, ref, as_json):
    """One artifact (digest, unique prefix, name or PATH) and every location it was seen at."""
    c = client(ctx)
    if _is_path(ref):
        from ..locate import known_bytes

        ref = known_bytes(c.store, ref)
    art = c.artifact(ref)
    locs = c.locations(art.digest)
    files = c.folder_files(art.digest) if art.kind == "directory" else []
    if as_json:
        emit_json({"artifact": art, "locations": locs, "files": files})
        return
    click.echo(f"digest    {art.digest}\nkind      {art.kind}   name {art.name or '-'}")
    click.echo(f"rows      {art.rows}   size {art.size_bytes}")
    if art.columns:
        click.echo("columns   " + ", ".join(f"{col.name}:{col.dtype}" for col in art.columns))
    locations_text(locs)
    if files:
        click.echo(f"\nfiles ({len(files)})")
        table(["path", "digest", "size"], [[f.path, f.digest[:12], f.size_bytes] for f in files])


@cli.command()
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@search_options
@click.pass_context
def pipelines(ctx, pipeline, limit, as_json, **search):
    """List pipeline runs (DAG runs, flow runs, pipeline_run blocks); --where etc. search them
    with tasks addressed by name: params.train.lr, metrics.evaluate.f1 (docs/query.md)."""
    if search_given(**search):
        search["where"] = with_filters(search["where"], "pipelines", pipeline=pipeline)
        render(client(ctx).search_pipelines(limit=limit, **search), as_json)
        return
    found = client(ctx).pipeline_runs(pipeline, limit)
    if as_json:
        emit_json(found)
        return
    table(
        ["id", "pipeline", "status", "started", "duration", "config"],
        [
            [
                p.id[:12],
                p.pipeline,
                p.status,
                fmt_time(p.started_at),
                fmt_duration(p.duration_s),
                _config(p.config),
            ]
            for p in found
        ],
    )


def _config(config: dict) -> str:
    text = json.dumps(config, sort_keys=True, default=str) if config else ""
    return text if len(text) <= 60 else text[:57] + "..."


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sync(ctx, as_json):
    """Deliver records spooled while the store was unavailable, and queued artifact uploads
    (each exactly once)."""
    from .sync_uploads import flush_uploads

    result = client(ctx).sync()
    uploads = flush_uploads(quiet=as_json)
    if as_json:
        emit_json(
            {
                "delivered": result.delivered,
                "remaining": result.remaining,
                "bad": result.bad,
                "quarantined": result.quarantined,
                "error": result.error,
                "uploads": uploads.__dict__,
            }
        )
    else:
        click.echo(f"delivered {result.delivered}, remaining {result.remaining}")
        click.echo(
            f"uploaded {uploads.delivered} artifact(s) ({uploads.bytes} bytes), "
            f"remaining {uploads.remaining}"
        )
        for b in result.bad:
            click.echo(f"unreadable spool file quarantined: {b}", err=True)
        for q in result.quarantined:
            click.echo(f"refused by the store, quarantined: {q}", err=True)
        for d in uploads.dropped:
            click.echo(f"upload dropped (bytes changed or gone): {d}", err=True)
    if result.error:
        fail(f"store still unavailable: {result.error}")
    if uploads.error:
        fail(f"artifact store still unavailable: {uploads.error}")
    if result.bad or result.quarantined:
        fail(
            f"{len(result.bad) + len(result.quarantined)} record(s) quarantined; "
            "see `trackline spool list` (retry or drop them there)"
        )
