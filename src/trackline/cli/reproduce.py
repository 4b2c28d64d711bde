"""``trackline reproduce RUN --dir D [--check]``."""

from __future__ import annotations

import click

from ..errors import BlobMissing, CorruptBlob
from .main import cli, client
from .output import emit_json, fail
from .progress import byte_progress


@cli.command()
@click.argument("run")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Re-run the task on the inputs; compare digests.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def reproduce(ctx, run, directory, check, as_json):
    """Materialise what RUN needs (inputs, params, pinned requirements, code reference, README)
    into a folder; with --check also re-run the task and say whether it reproduces."""
    from ..artifacts_api import check_run, materialise_run

    c = client(ctx)
    try:
        with byte_progress(f"reproduce {run}", None, quiet=as_json) as progress:
            if check:
                result = check_run(run, directory, store=c.store, progress=progress)
            else:
                m = materialise_run(run, directory, store=c.store, progress=progress)
    except (BlobMissing, CorruptBlob) as exc:
        fail(str(exc), 1)
        return
    if not check:
        if as_json:
            emit_json(
                {
                    "run": m.run.id,
                    "dir": str(m.dir),
                    "inputs": {k: str(v) for k, v in m.inputs.items()},
                    "missing": m.missing,
                    "files": m.files,
                }
            )
        else:
            click.echo(f"wrote {m.dir}: {len(m.inputs)} input(s), " + ", ".join(m.files))
            for slot, why in m.missing.items():
                click.echo(f"missing input {slot!r}: {why}", err=True)
        return
    if as_json:
        emit_json(
            {
                "reproducible": result.reproducible,
                "compared": result.compared,
                "differences": [d.__dict__ for d in result.differences],
                "error": result.error,
            }
        )
    else:
        click.echo(result.summary())
    if not result.reproducible:
        raise SystemExit(3)
