"""Find the registry side of a store, bypassing the fail-safe spool.

Registry writes must never be spooled: a promotion that silently lands in a local file would let a
pipeline believe a model was promoted when it was not. So they go straight to the backend.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..store import get_store
from ..store.registry_base import RegistryStore

__all__ = ["registry_store"]


def registry_store(store=None) -> RegistryStore:
    s = store if store is not None else get_store()
    inner = getattr(s, "inner", s) if not isinstance(s, RegistryStore) else s
    if not isinstance(inner, RegistryStore):
        raise ConfigError(
            f"the store {getattr(s, 'url', s)!r} has no model registry (is TRACKLINE_DISABLED set?)"
        )
    return inner
