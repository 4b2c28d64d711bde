"""Stores: the interface, the backends, and the process-wide store tracked code writes to."""

from __future__ import annotations

import os
import threading

from ..config import Settings, settings
from .base import Store
from .factory import open_store, register_backend
from .failsafe import FailSafeStore
from .noop import NoopStore

__all__ = ["Store", "FailSafeStore", "NoopStore", "get_store", "open_store", "register_backend"]

_stores: dict[tuple[int, Settings], Store] = {}
_lock = threading.Lock()


def get_store(config: Settings | None = None) -> Store:
    """The (fail-safe) store for the current settings, one per process and configuration."""
    cfg = config or settings()
    key = (os.getpid(), cfg)
    store = _stores.get(key)
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                store = (
                    NoopStore()
                    if cfg.disabled
                    else FailSafeStore(cfg, lambda: open_store(cfg.store_url, cfg))
                )
                _stores[key] = store
    return store
