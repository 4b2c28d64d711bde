"""Query commands: runs, show, lineage, diff, artifacts, pipelines, sync."""

from __future__ import annotations

import click

from .main import cli, client
from .output import emit_json, fail, fmt_duration, fmt_time, table
from .render import diff_text, dot, lineage_text, mermaid, show_text


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
@click.option("--pipeline-run", "pipeline_run_id", help="Only runs of this pipeline run.")
@click.option("--status", help="success, failed, running, crashed, skipped, up_for_retry…")
@click.option("--name", help="Only runs of this task name.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--reap", is_flag=True, help="First mark runs whose heartbeat stopped as crashed.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def runs(ctx, pipeline, pipeline_run_id, status, name, limit, reap, as_json):
    """List task runs, newest first."""
    c = client(ctx)
    reaped = c.reap() if reap else []
    found = c.runs(
        pipeline=pipeline, status=status, name=name, pipeline_run_id=pipeline_run_id, limit=limit
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
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, run_id, as_json):
    """Everything recorded about one task run (id or unique prefix)."""
    run = client(ctx).run(run_id)
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
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def lineage(ctx, ref, direction, depth, fmt, as_json):
    """Lineage of a run or artifact (id, digest or unique prefix)."""
    graph = client(ctx).lineage(ref, direction, depth)
    if as_json:
        emit_json(
            {
                "root": graph.root,
                "direction": graph.direction,
                "depth": graph.depth,
                "nodes": graph.nodes,
                "edges": graph.edges,
            }
        )
    elif fmt == "mermaid":
        click.echo(mermaid(graph))
    elif fmt == "dot":
        click.echo(dot(graph))
    else:
        lineage_text(graph)


@cli.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def diff(ctx, run_a, run_b, as_json):
    """What differs between two runs: params, inputs, code, environment, outcome, metrics."""
    d = client(ctx).diff(run_a, run_b)
    if as_json:
        emit_json(d.model_dump(mode="json") | {"identical": d.identical})
    else:
        diff_text(d)


@cli.group(invoke_without_command=True)
@click.option("--kind", help="file, directory, dataset, model, value, blob, object, uri…")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def artifacts(ctx, kind, limit, as_json):
    """List artifacts, newest first (``artifacts get`` / ``artifacts gc``: their bytes)."""
    if ctx.invoked_subcommand:
        return
    found = client(ctx).artifacts(kind, limit)
    if as_json:
        emit_json(found)
        return
    table(
        ["digest", "kind", "name", "rows", "size", "uri"],
        [[a.digest[:12], a.kind, a.name, a.rows, a.size_bytes, a.uri] for a in found],
    )


@cli.command()
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def pipelines(ctx, pipeline, limit, as_json):
    """List pipeline runs (DAG runs, flow runs, pipeline_run blocks)."""
    found = client(ctx).pipeline_runs(pipeline, limit)
    if as_json:
        emit_json(found)
        return
    table(
        ["id", "pipeline", "status", "started", "duration"],
        [
            [p.id[:12], p.pipeline, p.status, fmt_time(p.started_at), fmt_duration(p.duration_s)]
            for p in found
        ],
    )


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
            click.echo(f"unreadable spool file kept aside: {b}", err=True)
        for d in uploads.dropped:
            click.echo(f"upload dropped (bytes changed or gone): {d}", err=True)
    if result.error:
        fail(f"store still unavailable: {result.error}")
    if uploads.error:
        fail(f"artifact store still unavailable: {uploads.error}")
