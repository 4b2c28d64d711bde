"""``trackline spool``: records waiting in the local spool and the ones the store refused.

``list`` shows pending and quarantined records, ``show`` one quarantined record with its reason,
``retry`` puts a quarantined record back in line (after the store or the record was fixed), and
``drop`` deletes it. ``trackline sync`` delivers what is pending.
"""

from __future__ import annotations

import json

import click

from ..store.quarantine import (
    drop_quarantined,
    find_quarantined,
    list_quarantined,
    release_quarantined,
)
from .main import cli, client
from .output import emit_json, fail, table


def _spool(ctx):
    from ..store.failsafe import FailSafeStore

    store = client(ctx).store
    if not isinstance(store, FailSafeStore):
        raise click.ClickException("this store has no spool (tracking is disabled)")
    return store.spool


@cli.group()
def spool() -> None:
    """Records waiting for the store, and records it refused (quarantined)."""


@spool.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx, as_json):
    """Pending and quarantined records, oldest first."""
    sp = _spool(ctx)
    pending = [p.name for p in sp.pending()]
    quarantined = list_quarantined(sp.path)
    if as_json:
        emit_json(
            {
                "path": str(sp.path),
                "pending": pending,
                "quarantined": [q.as_dict() for q in quarantined],
            }
        )
        return
    click.echo(f"spool {sp.path}: {len(pending)} pending, {len(quarantined)} quarantined")
    if quarantined:
        table(
            ["file", "kind", "record", "reason"],
            [[q.name, q.kind, q.record_id[:24], q.reason[:100]] for q in quarantined],
        )


@spool.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, ref, as_json):
    """One quarantined record (by file name, its prefix, or record id) with its reason."""
    q = find_quarantined(_spool(ctx).path, ref)
    try:
        content = json.loads(q.path.read_text(encoding="utf-8"))
    except ValueError:
        content = q.path.read_text(encoding="utf-8", errors="replace")[:10_000]
    if as_json:
        emit_json({**q.as_dict(), "content": content})
        return
    click.echo(f"file:   {q.path}\nkind:   {q.kind}\nrecord: {q.record_id}\nreason: {q.reason}")
    click.echo(json.dumps(content, indent=2)[:20_000])


@spool.command()
@click.argument("ref")
@click.pass_context
def retry(ctx, ref):
    """Put a quarantined record back in the spool and deliver the spool now."""
    sp = _spool(ctx)
    q = find_quarantined(sp.path, ref)
    release_quarantined(sp.path, q)
    result = client(ctx).sync()
    click.echo(
        f"delivered {result.delivered}, remaining {result.remaining}, "
        f"quarantined again {len(result.quarantined)}"
    )
    if not result.ok:
        fail(result.error or "the record was refused again; see `trackline spool show`")


@spool.command()
@click.argument("ref")
@click.pass_context
def drop(ctx, ref):
    """Delete a quarantined record for good."""
    q = find_quarantined(_spool(ctx).path, ref)
    drop_quarantined(q)
    click.echo(f"dropped {q.name}")
