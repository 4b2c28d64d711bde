"""``trackline export openlineage``: send recorded history as OpenLineage events (backfill)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from .main import cli, client
from .output import emit_json


@cli.group()
def export() -> None:
    """Send recorded runs to other systems."""


@export.command("openlineage")
@click.option("--since", default=None, help="Only runs started at or after this ISO date-time.")
@click.option("--run", "run_ref", default=None, help="One task run or pipeline run (id/prefix).")
@click.option("--json", "as_json", is_flag=True, help="Counts as JSON.")
@click.pass_context
def export_openlineage(ctx, since, run_ref, as_json):
    """Emit START and terminal events of recorded runs through the OpenLineage client
    (transport from openlineage.yml or OPENLINEAGE__TRANSPORT__*). Ids are derived from the
    records, so exporting again resends the same events."""
    from ..config import settings
    from ..openlineage.emitter import make_client
    from ..openlineage.export import export_history

    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(
                f"{since!r} is not an ISO date-time", param_hint="--since"
            ) from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    result = export_history(
        client(ctx).store,
        make_client(),
        namespace=settings().openlineage_namespace,
        since=start,
        run=run_ref,
    )
    if as_json:
        emit_json(result.__dict__)
    else:
        click.echo(
            f"{result.events} events of {result.runs} runs sent"
            + (
                f"; {result.skipped} runs emitted by another producer skipped"
                if result.skipped
                else ""
            )
            + (f"; {len(result.errors)} runs failed" if result.errors else "")
        )
        for err in result.errors[:20]:
            click.echo(f"  {err}", err=True)
    if result.errors:
        raise SystemExit(1)
