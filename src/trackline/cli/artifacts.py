"""``trackline artifacts get|gc``, ``trackline pin|unpin`` and ``trackline models download``:
artifact bytes back out of the artifact store."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from ..errors import BlobMissing, CorruptBlob
from .main import cli, client
from .models import models
from .output import emit_json, fail
from .progress import byte_progress
from .runs import artifacts

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> timedelta:
    m = _AGE.match(text.strip().lower())
    if not m:
        raise click.BadParameter(f"{text!r}: use a number and a unit, e.g. 30d, 12h, 90m, 0s")
    return timedelta(seconds=float(m.group(1)) * _UNIT[m.group(2)])


def _get(ctx, ref: str, output: str | None, as_json: bool) -> None:
    from ..artifacts_api import resolve_ref
    from ..artifacts_api.fetch import fetch_resolved

    c = client(ctx)
    res = resolve_ref(ref, c.store)
    total = res.artifact.size_bytes
    try:
        with byte_progress(f"get {res.artifact.digest[:12]}", total, quiet=as_json) as progress:
            path, meta = fetch_resolved(res, output, progress=progress)
    except (BlobMissing, CorruptBlob) as exc:
        fail(str(exc), 1)
        return
    if as_json:
        emit_json(
            {
                "path": str(path),
                "digest": res.artifact.digest,
                "format": meta["format"],
                "verified": True,
                "what": res.label,
            }
        )
    else:
        click.echo(f"{path}  ({res.label}, digest {res.artifact.digest[:16]}… verified)")


@artifacts.command("get")
@click.argument("ref")
@click.option("-o", "--output", help="File or folder to write (default: a cache under the home).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def get(ctx, ref, output, as_json):
    """Write an artifact's bytes: REF is a digest (or unique prefix), MODEL@ALIAS,
    MODEL/VERSION or RUN/SLOT. The bytes are checked against the digest; missing or damaged
    bytes exit 1."""
    _get(ctx, ref, output, as_json)


@models.command("download")
@click.argument("ref")
@click.option("-o", "--output", help="File or folder to write.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def download(ctx, ref, output, as_json):
    """Download a model version's bytes (REF: MODEL@ALIAS or MODEL/VERSION), verified."""
    if "@" not in ref and "/" not in ref:
        fail(f"{ref!r}: name a version, e.g. {ref}@production or {ref}/3", 2)
    _get(ctx, ref, output, as_json)


@artifacts.command("gc")
@click.option("--older-than", default="30d", show_default=True, help="Only blobs older than this.")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def gc(ctx, older_than, dry_run, as_json):
    """Delete blobs no model version, pinned run or recent upload needs (audit-logged)."""
    from ..artifacts_api import collect_garbage

    c = client(ctx)
    age = parse_age(older_than)
    with byte_progress("gc", None, quiet=as_json) as progress:
        result = collect_garbage(age, dry_run=dry_run, store=c.store, progress=progress)
    if as_json:
        emit_json(result.__dict__)
        return
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{verb} {result.bytes_freed} bytes in {len(result.deleted)} blob(s); kept "
        f"{result.kept_referenced} referenced by {result.protected_models} model version(s) and "
        f"{result.pinned_runs} pinned run(s), {result.kept_recent} newer than {older_than}"
    )


@cli.command()
@click.argument("run")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def pin(ctx, run, as_json):
    """Pin a run: garbage collection keeps every byte it read or wrote."""
    from ..artifacts_api import pin_run

    run_id = pin_run(run, store=client(ctx).store)
    emit_json({"pinned": run_id}) if as_json else click.echo(f"pinned {run_id}")


@cli.command()
@click.argument("run")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def unpin(ctx, run, as_json):
    """Remove a run's pin."""
    from ..artifacts_api import unpin_run

    run_id = unpin_run(run, store=client(ctx).store)
    emit_json({"unpinned": run_id}) if as_json else click.echo(f"unpinned {run_id}")
