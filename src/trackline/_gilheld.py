"""Short system calls made without letting go of the interpreter lock.

``os.write`` and ``os.pread`` release the GIL around the call. On a tracked call's path that
costs more than the call itself: the journal's sender thread, waiting for the lock between two
of its SQLite steps, takes it, and the caller then waits for the sender's next step and for the
OS to wake it again — 25-40 µs per call on this project's 2-core benchmark machine, against
about 5 µs for the system calls (docs/benchmarks.md). Appending a line to a local file and
reading a ``/proc`` counter return in microseconds, so here they keep the lock (a
``ctypes.PyDLL`` function is called with the GIL held). Where libc cannot be loaded the ``os``
functions are used; a write slower than ``SLOW_S`` (a network filesystem, a disk under write-back
pressure) switches the process back to ``os.write``, which lets other threads run meanwhile.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading
import time
from typing import Any

__all__ = ["pread", "write_all"]

SLOW_S = 0.002

_write: Any = None
_pread: Any = None
if os.name == "posix":
    try:
        _libc = ctypes.PyDLL(None, use_errno=True)
        _write = _libc.write
        _write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        _write.restype = ctypes.c_ssize_t
        # Called with ctypes objects for its size_t and off_t (no argtypes: converting the
        # arguments cost half as much as the read); the buffer is reused per thread.
        _pread = _libc.pread
        _pread.restype = ctypes.c_ssize_t
    except (OSError, AttributeError):  # no libc symbols in this process: the os functions
        _write = _pread = None


def _failed() -> OSError:
    err = ctypes.get_errno()
    return OSError(err, os.strerror(err))


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (retrying short writes); raises ``OSError``."""
    global _write
    fn = _write
    if fn is not None:
        t = time.perf_counter()
        n = fn(fd, data, len(data))
        if time.perf_counter() - t > SLOW_S:
            _write = None
        if n == len(data):
            return
        if n < 0:
            if ctypes.get_errno() != errno.EINTR:
                raise _failed()
            n = 0
        data = data[n:]  # a short write: the rest as os.write does it
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_ORIGIN = ctypes.c_int64(0)
_buffers = threading.local()


def pread(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes from the start of ``fd`` (a ``/proc`` file)."""
    fn = _pread
    if fn is None:
        return os.pread(fd, size, 0)
    key = f"b{size}"
    buf = getattr(_buffers, key, None)
    if buf is None:
        buf = ctypes.create_string_buffer(size)
        setattr(_buffers, key, buf)
    n = fn(fd, buf, ctypes.c_size_t(size), _ORIGIN)
    if n < 0:
        raise _failed()
    return buf[:n]
