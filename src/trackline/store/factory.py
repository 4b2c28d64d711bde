"""Choose a store backend by URL scheme, fsspec-style, with install hints for optional ones."""

from __future__ import annotations

import importlib
import os

from ..config import Settings
from ..errors import ConfigError
from .protocols import RunStore

__all__ = ["open_store", "register_backend"]

_BACKENDS: dict[str, tuple[str, str | None]] = {
    "sqlite": ("trackline.store.sql.store:SqlStore", None),
    "postgresql": ("trackline.store.sql.store:SqlStore", "postgres"),
    "postgres": ("trackline.store.sql.store:SqlStore", "postgres"),
    "postgresql+psycopg": ("trackline.store.sql.store:SqlStore", "postgres"),
    "http": ("trackline.store.http:HttpStore", None),
    "https": ("trackline.store.http:HttpStore", None),
}


def register_backend(scheme: str, target: str, extra: str | None = None) -> None:
    """Add a backend: ``target`` is ``"module:Class"``, built as ``Class(url, settings=...)``."""
    _BACKENDS[scheme] = (target, extra)


def open_store(url: str, settings: Settings) -> RunStore:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in _BACKENDS:
        known = ", ".join(sorted(_BACKENDS))
        raise ConfigError(f"unknown store URL {url!r}: the scheme must be one of {known}")
    target, extra = _BACKENDS[scheme]
    module_name, _, cls_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except ModuleNotFoundError as exc:
        hint = f": pip install 'trackline[{extra}]'" if extra else ""
        raise ConfigError(f"store {url!r} needs a missing package ({exc.name}){hint}") from exc
    if scheme in ("http", "https"):
        return cls(url, settings=settings)
    if url.startswith("sqlite:///~"):
        url = "sqlite:///" + os.path.expanduser(url[len("sqlite:///") :])
    return cls(url, busy_timeout=settings.busy_timeout, auto_upgrade=settings.auto_upgrade)
