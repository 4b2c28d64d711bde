"""Hashing throughput on a large file, cold (no cache hit) and warm (stat-keyed cache hit),
against ``sha256sum`` of the same file."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from _common import report, workdir


def main(size_mb: int = 1024) -> None:
    data = workdir() / f"blob-{size_mb}mb.bin"
    if not data.exists() or data.stat().st_size != size_mb << 20:
        chunk = os.urandom(1 << 20)
        with open(data, "wb") as fh:
            for _ in range(size_mb):
                fh.write(chunk)
    home = workdir() / "hash-home"
    shutil.rmtree(home, ignore_errors=True)
    from trackline.capture.hashing import _cache, hash_file

    subprocess.run(
        ["cat", str(data)], stdout=subprocess.DEVNULL, check=True
    )  # same page-cache state
    t = time.perf_counter()
    out = subprocess.run(["sha256sum", str(data)], capture_output=True, text=True, check=True)
    base = time.perf_counter() - t
    t = time.perf_counter()
    cold = hash_file(data, home=home)
    cold_s = time.perf_counter() - t
    if cold.digest != out.stdout.split()[0]:
        raise SystemExit("digest differs from sha256sum")
    _cache._mem.clear()  # warm = a new process: the on-disk cache, not this process's memory
    t = time.perf_counter()
    warm = hash_file(data, home=home)
    warm_s = time.perf_counter() - t
    if warm.digest != cold.digest:
        raise SystemExit("cache returned a different digest")
    mb = size_mb
    report(
        f"hash {mb} MiB file, cold (reads the file)", mb / cold_s, "MiB/s", "sha256sum", mb / base
    )
    report(
        f"hash {mb} MiB file, warm (stat-keyed cache hit)",
        warm_s * 1000,
        "ms",
        "sha256sum",
        base * 1000,
    )


if __name__ == "__main__":
    main(int(os.environ.get("BENCH_HASH_MB", "1024")))
