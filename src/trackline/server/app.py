"""Build the FastAPI app: REST API under ``/api/v1``, ``/healthz``, OpenAPI, and the web UI."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import __version__
from ..config import settings
from ..errors import ConfigError, StoreUnavailable
from ..store.factory import open_store
from ..store.sql.store import SqlStore
from .access import ServerAuditLog, TokenStore
from .auth import API_PREFIX
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


def _assets_version() -> str:
    """A digest of every static file: asset URLs change exactly when their contents do, so
    browsers may cache them for a year."""
    h = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


class _ImmutableFiles(StaticFiles):
    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        resp = super().file_response(*args, **kwargs)
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return resp


class _TestDelay:
    """Test hook (``TRACKLINE_TEST_DELAY=MARKER=SECONDS``): requests whose query string holds
    MARKER answer SECONDS late, so UI tests can provoke a response that arrives after the user
    has moved on. Never set in production."""

    def __init__(self, app: ASGIApp, spec: str) -> None:
        marker, seconds = spec.rsplit("=", 1)
        self.app, self.marker, self.seconds = app, marker.encode(), float(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.marker in scope.get("query_string", b""):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def _mount_ui(app: FastAPI) -> None:
    version = _assets_version()
    assets = f"/ui/a/{version}"
    index = (STATIC / "index.html").read_text().replace("{{assets}}", assets)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/", include_in_schema=False)
    @app.get("/ui/index.html", include_in_schema=False)
    def ui_index() -> HTMLResponse:
        # Revalidated on every load, so a new release's asset URLs are picked up at once.
        return HTMLResponse(index, headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from the package, not a CDN: the docs work on an air-gapped network.
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="trackline API",
            swagger_js_url=f"{assets}/vendor/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/vendor/swagger-ui.css",
            swagger_favicon_url=f"{assets}/vendor/swagger-favicon-32x32.png",
        )

    app.mount(assets, GZipMiddleware(_ImmutableFiles(directory=STATIC), minimum_size=512))


def create_app(config: ServerConfig) -> FastAPI:
    store = _open_sql_store(config.store)
    engine: sa.Engine = store.engine
    app = FastAPI(
        title="trackline",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url=None,  # served from the package below
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

    api = APIRouter(prefix=API_PREFIX)
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

    _mount_ui(app)
    if os.environ.get("TRACKLINE_TEST_DELAY"):
        app.add_middleware(_TestDelay, spec=os.environ["TRACKLINE_TEST_DELAY"])
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the config comes from ``TRACKLINE_SERVER_CONFIG``."""
    return create_app(ServerConfig.from_env())
