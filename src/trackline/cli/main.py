"""Entry point: the root group, global options, and error handling for every command."""

from __future__ import annotations

import os
import sys

import click

from ..errors import TracklineError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turns trackline errors into one line on stderr (exit 2) instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_pipe()
        except TracklineError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
            if os.environ.get("TRACKLINE_DEBUG"):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            click.echo(
                f"error: {type(exc).__name__}: {first} (TRACKLINE_DEBUG=1 shows the traceback)",
                err=True,
            )
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="TRACKLINE_STORE",
    default=None,
    help="Store URL (default: $TRACKLINE_STORE, else the SQLite file under ~/.trackline).",
)
@click.version_option(package_name="trackline")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """trackline: run records, lineage and promotion gates for ML pipelines."""
    ctx.obj = {"store": store}
    if store:  # library calls made by commands (register, promote, drift) write there too
        from ..client import configure

        configure(store=store)


def client(ctx: click.Context):
    from ..client import connect

    return connect(ctx.obj.get("store") if ctx.obj else None)


def _register() -> None:
    # Each concern's commands live in their own module; adding one is one line here.
    from . import (  # noqa: F401
        artifacts,
        audit,
        db,
        drift,
        export,
        gate,
        models,
        monitor,
        reproduce,
        runs,
        search,
        server,
        spool,
        tokens,
    )


_register()


def _quiet_pipe() -> None:
    """The reader (``head``, ``sed q``) closed the pipe: stop quietly like other Unix tools.
    Point stdout at /dev/null so the interpreter's final flush cannot complain again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    sys.exit(0)


def main() -> None:
    try:
        cli.main(prog_name="trackline", standalone_mode=False)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_pipe()
    except click.UsageError as exc:  # one line instead of click's usage block
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.exit(1)
