"""``trackline server``: run the team server (REST API + web UI) in front of a SQL store."""

from __future__ import annotations

import os

import click

from ..errors import ConfigError
from .main import cli


def _sql_url(ctx: click.Context, store: str | None) -> str:
    from ..config import settings

    url = store or (ctx.find_root().obj or {}).get("store") or settings().store_url
    if not url.startswith(("sqlite", "postgres")):
        raise ConfigError(
            f"the server fronts a SQL store (sqlite:/// or postgresql://), not {url!r}"
        )
    return url


@cli.command()
@click.option(
    "--store",
    "store",
    help="SQL store URL to serve (default: the root --store / $TRACKLINE_STORE).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (all share the one store).",
)
@click.option(
    "--allow-anonymous-read",
    is_flag=True,
    help="Let requests without a token read runs, artifacts and lineage.",
)
@click.option(
    "--max-body-mb",
    default=32,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Largest request body accepted.",
)
@click.option(
    "--artifacts",
    envvar="TRACKLINE_ARTIFACTS",
    help="Artifact bytes root (folder or fsspec URL, e.g. s3://bucket/prefix; default: "
    "$TRACKLINE_ARTIFACTS, else the home's artifacts folder).",
)
@click.option(
    "--max-openlineage-event-kb",
    default=1024,
    show_default=True,
    type=click.IntRange(1, 1024 * 1024),
    help="Largest OpenLineage event accepted at POST /api/v1/lineage (larger: 413).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.pass_context
def server(
    ctx,
    store,
    host,
    port,
    workers,
    allow_anonymous_read,
    max_body_mb,
    artifacts,
    max_openlineage_event_kb,
    log_level,
):
    """Serve the REST API (/api/v1), /openapi.json, /healthz and the web UI (/ui/)."""
    try:
        import uvicorn
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "`trackline server` needs the server extra: pip install 'trackline[server]'"
        ) from exc
    from ..config import settings
    from ..server.config import ENV_VAR, ServerConfig

    url = _sql_url(ctx, store)
    config = ServerConfig(
        store=url,
        allow_anonymous_read=allow_anonymous_read,
        max_body_bytes=max_body_mb * 1024 * 1024,
        max_openlineage_event_bytes=max_openlineage_event_kb * 1024,
        stale_after=settings().stale_after,
        artifacts=artifacts,
    )
    # Build the app once here: migrates the schema before several workers could race to, and
    # fails fast with a clear error instead of inside every worker.
    from ..server.app import create_app

    create_app(config).state.ctx.store.close()
    # Worker processes are started by uvicorn and build the app from this variable.
    os.environ[ENV_VAR] = config.to_env()
    click.echo(
        f"trackline server on http://{host}:{port}/ui/ ({workers} worker(s)) for {url}", err=True
    )
    uvicorn.run(
        "trackline.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
        server_header=False,
    )
