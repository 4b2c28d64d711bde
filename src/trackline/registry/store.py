"""The registry side of a store, bypassing the fail-safe spool.

Registry writes must never be spooled: a promotion that silently lands in a local file would let a
pipeline believe a model was promoted when it was not. So they go straight to the backend.
"""

from __future__ import annotations

from ..store import RegistryStore, StoreArg, capability

__all__ = ["registry_store"]


def registry_store(store: StoreArg = None) -> RegistryStore:
    return capability(store, RegistryStore)  # type: ignore[arg-type]
