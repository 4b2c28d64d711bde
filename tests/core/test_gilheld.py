"""System calls that keep the interpreter lock: the bytes of the os functions, and fallbacks."""

from __future__ import annotations

import os

import pytest

from trackline import _gilheld


def test_write_all_appends_every_byte(tmp_path):
    path = tmp_path / "segment.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    lines = [b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i * 997 % 70_000)) for i in range(50)]
    try:
        for line in lines:
            _gilheld.write_all(fd, line)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(lines)


def test_write_errors_are_oserrors_with_errno(tmp_path):
    fd = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError) as info:
            _gilheld.write_all(fd, b"x")
    finally:
        os.close(fd)
    assert info.value.errno == 9  # EBADF: not open for writing


def test_pread_reads_what_os_pread_reads(tmp_path):
    path = tmp_path / "counters"
    path.write_bytes(b"read_bytes: 12\nwrite_bytes: 34\n")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _gilheld.pread(fd, 512) == os.pread(fd, 512, 0)
        assert _gilheld.pread(fd, 4) == b"read"
    finally:
        os.close(fd)


def test_without_libc_the_os_functions_do_the_work(tmp_path, monkeypatch):
    monkeypatch.setattr(_gilheld, "_write", None)
    monkeypatch.setattr(_gilheld, "_pread", None)
    path = tmp_path / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _gilheld.write_all(fd, b"hello")
        assert _gilheld.pread(fd, 3) == b"hel"
    finally:
        os.close(fd)


def test_a_slow_write_switches_the_process_to_os_write(tmp_path, monkeypatch):
    """A write that holds the lock too long (a network filesystem) must not keep holding it."""
    real = _gilheld._write
    if real is None:
        pytest.skip("no libc write in this process")
    ticks = iter([0.0, 1.0])  # the first write seems to take a whole second
    monkeypatch.setattr(_gilheld.time, "perf_counter", lambda: next(ticks))
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        _gilheld.write_all(fd, b"slow")
        assert _gilheld._write is None
        _gilheld.write_all(fd, b"-then os.write")  # no more perf_counter calls: os.write
    finally:
        os.close(fd)
        _gilheld._write = real
    assert (tmp_path / "f").read_bytes() == b"slow-then os.write"


def test_io_counters_still_count_a_call_that_writes(tmp_path):
    """The resource meter reads /proc through pread: a call that writes and syncs a file
    shows its bytes."""
    from trackline.capture.resources import ResourceMeter

    if not os.path.exists("/proc/self/io"):
        pytest.skip("no /proc/self/io here")
    meter = ResourceMeter()
    with open(tmp_path / "big", "wb") as fh:
        fh.write(os.urandom(4 << 20))
        fh.flush()
        os.fsync(fh.fileno())
    usage = meter.finish()
    assert usage.io_write_bytes is not None and usage.io_write_bytes >= 4 << 20
    assert usage.peak_rss_bytes > 0
