"""Choose a store backend by URL scheme, fsspec-style, with install hints for optional ones."""

from __future__ import annotations

import importlib

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


def register_backend(
    scheme: str, target: str, extra: str | None = None, *, replace: bool = False
) -> None:
    """Add a backend for URLs of ``scheme``: ``target`` is ``"module:Class"``, built as
    ``Class(url, settings=...)`` and expected to implement ``RunStore`` (and whichever other
    capabilities it has). ``extra`` names the pip extra that installs its dependencies.
    An existing scheme is replaced only with ``replace=True``."""
    scheme = scheme.lower()
    if scheme in _BACKENDS and not replace:
        raise ConfigError(
            f"store scheme {scheme!r} is taken by {_BACKENDS[scheme][0]}; "
            "pass replace=True to replace it"
        )
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
    return cls(url, settings=settings)
