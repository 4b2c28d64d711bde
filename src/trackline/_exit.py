"""Work that must finish at interpreter exit while thread pools still accept work."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

__all__ = ["before_thread_pools_exit"]


def before_thread_pools_exit(fn: Callable[[], object]) -> None:
    """Run ``fn`` at exit *before* ``concurrent.futures`` shuts its pools down.

    Plain ``atexit`` handlers run after the interpreter's thread-level exit hooks, when creating
    an executor raises "can't register atexit after shutdown"; clients that resolve names or send
    on a pool (s3fs/aiohttp, HTTP transports) then fail. Thread-level hooks run last-registered
    first, so registering after importing ``concurrent.futures.thread`` puts ``fn`` first.
    """
    import concurrent.futures.thread  # noqa: F401 - its exit hook must be registered first

    register = getattr(threading, "_register_atexit", None)
    if register is None:  # not CPython 3.9+: the plain hook is the best there is
        atexit.register(fn)
    else:
        register(fn)
