"""``trackline db``: schema migrations of SQL stores."""

from __future__ import annotations

import click

from ..errors import ConfigError
from .main import cli
from .output import emit_json


@cli.group()
def db() -> None:
    """Store schema management."""


def _engine(ctx):
    from ..config import settings
    from ..store.sql.engine import create_engine

    url = (ctx.find_root().obj or {}).get("store") or settings().store_url
    if not url.startswith(("sqlite", "postgres")):
        raise ConfigError(f"`trackline db` works on SQL stores, not {url!r}")
    return url, create_engine(url)


@db.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def upgrade(ctx, as_json):
    """Upgrade the store's schema to this version of trackline (creates it when empty)."""
    from ..store.sql import migrate

    url, engine = _engine(ctx)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    after = migrate.current(engine)
    if as_json:
        emit_json({"store": url, "from": before, "to": after})
    else:
        click.echo(f"{url}: {before or 'empty'} -> {after}")


@db.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def current(ctx, as_json):
    """Show the store's schema revision and the one this trackline needs."""
    from ..store.sql import migrate

    url, engine = _engine(ctx)
    cur, head = migrate.current(engine), migrate.head()
    if as_json:
        emit_json({"store": url, "current": cur, "head": head, "up_to_date": cur == head})
    else:
        click.echo(f"{url}: at {cur or 'empty'}, head {head}")
