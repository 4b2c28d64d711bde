"""One router per concern; ``app.py`` mounts each under ``/api/v1``. Adding a concern is one
module here and one entry in ``API_ROUTERS``."""

from . import (
    artifacts,
    audit,
    blobs,
    lineage,
    models,
    monitoring,
    openlineage,
    pipelines,
    runs,
    tokens,
    writes,
)

__all__ = ["API_ROUTERS"]

API_ROUTERS = [
    runs.router,
    writes.router,
    pipelines.router,
    artifacts.router,
    blobs.router,
    lineage.router,
    tokens.router,
    audit.router,
    models.router,
    monitoring.router,
    openlineage.router,
]
