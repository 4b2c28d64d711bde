"""Build the FastAPI app: REST API under ``/api/v1``, ``/healthz``, OpenAPI, and the web UI."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from .._version import __version__
from ..config import settings
from ..errors import ConfigError, StoreUnavailable
from ..store.factory import open_store
from ..store.sql.store import SqlStore
from .access import ServerAuditLog, TokenStore
from .config import ServerConfig
from .context import ServerContext
from .errors import install_error_handlers
from .limits import BodyLimit, RefuseNul
from .routes import API_ROUTERS
from .schemas import ErrorBody, Health

__all__ = ["app_from_env", "create_app"]

STATIC = Path(__file__).parent / "static"
_STREAMED_UPLOADS = re.compile(r"^/api/v1/blobs/[0-9a-f]{64}$")


def _open_sql_store(url: str) -> SqlStore:
    scheme = url.split(":", 1)[0].lower()
    store = open_store(url, settings()) if scheme.startswith(("sqlite", "postgres")) else None
    if not isinstance(store, SqlStore):
        raise ConfigError(
            f"the server fronts a SQL store (sqlite:/// or postgresql://), not {url!r}"
        )
    return store


def create_app(config: ServerConfig) -> FastAPI:
    store = _open_sql_store(config.store)
    engine: sa.Engine = store.engine
    app = FastAPI(
        title="trackline",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        description="Run records, lineage and access control of a trackline team server.",
    )
    from ..blobs import open_blobs

    app.state.ctx = ServerContext(
        config=config,
        store=store,
        tokens=TokenStore(engine),
        audit=ServerAuditLog(store),
        blobs=open_blobs(config.artifacts or settings().artifacts_url),
    )  # type: ignore[arg-type]
    install_error_handlers(app)
    # Artifact uploads stream to the artifact store, never into memory: not body-limited.
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, exempt=_STREAMED_UPLOADS)
    app.add_middleware(RefuseNul)

    api = APIRouter(prefix="/api/v1")
    for router in API_ROUTERS:
        api.include_router(router)
    app.include_router(api)

    @app.get(
        "/healthz", response_model=Health, tags=["meta"], responses={503: {"model": ErrorBody}}
    )
    def healthz() -> Health:
        """Liveness and store reachability (no token needed)."""
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unreachable: {type(exc).__name__}") from exc
        return Health(status="ok", version=__version__, store=engine.dialect.name)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    app.mount("/ui", StaticFiles(directory=STATIC, html=True), name="ui")
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the config comes from ``TRACKLINE_SERVER_CONFIG``."""
    return create_app(ServerConfig.from_env())
