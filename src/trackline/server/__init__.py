"""The trackline team server: REST API, access control and web UI (``pip install
'trackline[server]'``).

FastAPI is imported only when the app is built, so the core and ``trackline tokens`` work
without the ``server`` extra.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "ServerConfig":
        from .config import ServerConfig

        return ServerConfig
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
