"""Resource use of one call: CPU user/system seconds, peak RSS, IO bytes, GPU peaks.

CPU and IO counters are per process: calls running at the same time in several threads of one
process each see the whole process's counters over their span. Peak RSS is the highest RSS seen
at the start, in samples (for calls longer than ``sample_after``) and at the end.

Reading the IO and RSS counters is a quarter of a short call's capture, so a call that starts
within ``REUSE_S`` of the last reading (the end of the call before it) starts from that reading:
back-to-back calls share it, and a call may be attributed IO done up to 1 ms before it began.
"""

from __future__ import annotations

import os
import time
from typing import Any

import psutil

from .._gilheld import pread
from ..model.runs import ResourceSample, ResourceUsage
from ..model.trusted import construct
from . import gpu

__all__ = ["ResourceMeter"]

_proc: psutil.Process | None = None
_proc_pid: int | None = None


def _process() -> psutil.Process:
    global _proc, _proc_pid
    if _proc is None or _proc_pid != os.getpid():
        _proc, _proc_pid = psutil.Process(), os.getpid()
    return _proc


class _Proc:
    """Reads /proc/self/{io,statm} through descriptors kept open: psutil opens the files on every
    call, which costs more than the rest of a tracked call's capture together."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.io_fd = self._open("/proc/self/io")
        self.statm_fd = self._open("/proc/self/statm")

    @staticmethod
    def _open(path: str) -> int | None:
        try:
            return os.open(path, os.O_RDONLY)
        except OSError:
            return None

    def io(self) -> tuple[int, int] | None:
        if self.io_fd is None:
            try:
                io = _process().io_counters()
            except (psutil.Error, AttributeError, OSError):
                return None
            return io.read_bytes, io.write_bytes
        lines = pread(self.io_fd, 512).splitlines()
        # The kernel writes the fields in a fixed order; look them up only if that ever changes.
        if lines[4][:11] == b"read_bytes:" and lines[5][:12] == b"write_bytes:":
            return int(lines[4][11:]), int(lines[5][12:])
        fields = dict(line.split(b": ") for line in lines)
        return int(fields[b"read_bytes"]), int(fields[b"write_bytes"])

    def rss(self) -> int:
        if self.statm_fd is None:
            try:
                return _process().memory_info().rss
            except psutil.Error:
                return 0
        return int(pread(self.statm_fd, 128).split()[1]) * self.page


try:
    from resource import RUSAGE_SELF as _RUSAGE_SELF
    from resource import getrusage as _getrusage
except ImportError:  # not on Unix
    _getrusage = None
    _RUSAGE_SELF = 0


def _cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process. ``getrusage`` counts in microseconds;
    ``os.times`` (the fallback where there is no ``resource`` module) in clock ticks of 10 ms,
    which a short call can fall between entirely."""
    if _getrusage is not None:
        r = _getrusage(_RUSAGE_SELF)
        return r.ru_utime, r.ru_stime
    t = os.times()
    return t.user, t.system


_reader: _Proc | None = None
REUSE_S = 0.001
_last: tuple[float, tuple[int, int] | None, int] = (-1.0, None, 0)  # (monotonic, io, rss)


def _proc() -> _Proc:
    global _reader
    if _reader is None or _reader.pid != os.getpid():
        _reader = _Proc()
    return _reader


def _io() -> tuple[int, int] | None:
    try:
        return _proc().io()
    except (OSError, ValueError, KeyError):
        return None


def _rss() -> int:
    try:
        return _proc().rss()
    except (OSError, ValueError, IndexError):
        return 0


class ResourceMeter:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.cpu0 = _cpu()
        at, io, rss = _last
        if self.t0 - at > REUSE_S or _reader is None or _reader.pid != os.getpid():
            io, rss = _io(), _rss()
        self.io0 = io
        self.peak_rss = rss
        self.samples: list[ResourceSample] = []
        self.gpu_peak: dict[str, Any] | None = None
        self._last_cpu = (self.t0, self.cpu0[0] + self.cpu0[1])

    def sample(self) -> None:
        """Called from the background sampler for long calls."""
        now = time.monotonic()
        cpu = _cpu()
        total = cpu[0] + cpu[1]
        dt = now - self._last_cpu[0]
        pct = 100.0 * (total - self._last_cpu[1]) / dt if dt > 0 else 0.0
        self._last_cpu = (now, total)
        rss = _rss()
        self.peak_rss = max(self.peak_rss, rss)
        self.samples.append(
            ResourceSample(t=round(now - self.t0, 3), cpu_percent=round(pct, 1), rss_bytes=rss)
        )
        g = gpu.usage()
        if g.get("available"):
            self._fold_gpu(g)

    def _fold_gpu(self, g: dict[str, Any]) -> None:
        peak = self.gpu_peak or {
            "available": True,
            "util_percent_peak": 0.0,
            "memory_used_bytes_peak": 0,
        }
        for d in g["devices"]:
            peak["util_percent_peak"] = max(peak["util_percent_peak"], d["util_percent"])
            peak["memory_used_bytes_peak"] = max(
                peak["memory_used_bytes_peak"], d["memory_used_bytes"]
            )
        self.gpu_peak = peak

    def finish(self) -> ResourceUsage:
        global _last
        cpu = _cpu()
        io, rss = _io(), _rss()
        _last = (time.monotonic(), io, rss)
        self.peak_rss = max(self.peak_rss, rss)
        g = gpu.usage()
        if g.get("available"):
            self._fold_gpu(g)
        # Every field computed here, of its declared type: no validation needed on the hot path.
        return construct(
            ResourceUsage,
            {
                "cpu_user_s": round(cpu[0] - self.cpu0[0], 6),
                "cpu_system_s": round(cpu[1] - self.cpu0[1], 6),
                "peak_rss_bytes": int(self.peak_rss),
                "io_read_bytes": (io[0] - self.io0[0]) if io and self.io0 else None,
                "io_write_bytes": (io[1] - self.io0[1]) if io and self.io0 else None,
                "gpu": self.gpu_peak or {"available": False},
                "samples": self.samples,
            },
        )
