"""Stores: the capability protocols, the backends, and the process-wide store tracked code
writes to."""

from __future__ import annotations

import os
import threading
from typing import TypeAlias, TypeVar

from ..config import Settings, settings
from ..errors import ConfigError
from .factory import open_store, register_backend
from .failsafe import FailSafeStore
from .noop import NoopStore
from .protocols import (
    AuditStore,
    LineageEventStore,
    LocationStore,
    MonitoringStore,
    RegistryStore,
    RemoteRules,
    RunStore,
    SearchStore,
)

__all__ = [
    "AuditStore",
    "FailSafeStore",
    "LocationStore",
    "LineageEventStore",
    "MonitoringStore",
    "NoopStore",
    "RegistryStore",
    "RemoteRules",
    "RunStore",
    "StoreArg",
    "SearchStore",
    "backend_of",
    "capability",
    "get_store",
    "open_store",
    "register_backend",
]

C = TypeVar("C")

# What library functions take as ``store=``: None (the process store), the fail-safe store, or a
# backend that has the capability the function needs.
StoreArg: TypeAlias = RunStore | RegistryStore | AuditStore | MonitoringStore | None

_stores: dict[tuple[int, Settings], RunStore] = {}
_lock = threading.Lock()

_NAMES = {
    RegistryStore: "no model registry",
    AuditStore: "no audit log",
    MonitoringStore: "no monitoring (drift reports and triggers)",
    SearchStore: "no search",
    LocationStore: "no artifact locations",
    LineageEventStore: "no OpenLineage event log",
}


def get_store(config: Settings | None = None) -> RunStore:
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


def backend_of(store: StoreArg) -> StoreArg:
    """The backend behind the fail-safe wrapper (the store itself when it is not wrapped)."""
    return store.backend if isinstance(store, FailSafeStore) else store


def capability(store: StoreArg, kind: type[C]) -> C:
    """``store`` (default: the process store) as a ``kind`` store, e.g. ``RegistryStore``.

    Capabilities are never spooled: they come from the backend itself. A backend without the
    capability (the no-op store of ``TRACKLINE_DISABLED=1``) is a ``ConfigError``.
    """
    s = store if store is not None else get_store()
    if isinstance(s, FailSafeStore):
        s.flush()  # a registry or monitoring call may refer to a run this process just wrote
    backend = backend_of(s)
    if not isinstance(backend, kind):
        what = _NAMES.get(kind, f"no {kind.__name__}")
        url = getattr(s, "url", s)
        raise ConfigError(f"the store {url!r} has {what} (is TRACKLINE_DISABLED set?)")
    return backend
