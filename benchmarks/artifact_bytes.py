"""Artifact store: upload/download throughput against a plain file copy of the same file (same
run, same disk), and the latency a tracked call pays for ``keep="outputs"`` of a 100 MB output
against the same call with ``keep="none"`` (the upload runs on the background worker)."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import report


def _file(path: Path, mib: int) -> str:
    block = os.urandom(1 << 20)
    h = hashlib.sha256()
    with open(path, "wb") as fh:
        for i in range(mib):
            data = block[:-8] + i.to_bytes(8, "big")
            fh.write(data)
            h.update(data)
    return h.hexdigest()


def _best(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def throughput(root: Path, mib: int, rounds: int) -> None:
    from trackline.blobs import open_blobs

    src = root / "src.bin"
    digest = _file(src, mib)
    copy_s = _best(lambda: shutil.copyfile(src, root / "copy.bin"), rounds)

    def copy_and_hash() -> None:  # what any verified copy must do at least once
        shutil.copyfile(src, root / "copy.bin")
        h = hashlib.sha256()
        with open(root / "copy.bin", "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)

    verified_s = _best(copy_and_hash, rounds)

    def upload() -> None:
        store = open_blobs(str(root / f"store-{time.perf_counter_ns()}"))
        store.put_file(src, digest)

    up_s = _best(upload, rounds)
    store = open_blobs(str(root / "store-read"))
    store.put_file(src, digest)
    down_s = _best(lambda: store.get_file(digest, root / "down.bin"), rounds)
    report(
        f"blob upload {mib} MiB (hash-verified, atomic)",
        mib / up_s,
        "MiB/s",
        "plain copy",
        mib / copy_s,
    )
    report(
        f"blob download {mib} MiB (verified on read)",
        mib / down_s,
        "MiB/s",
        "plain copy",
        mib / copy_s,
    )
    for what, secs in (("upload", up_s), ("download", down_s)):
        report(f"blob {what} {mib} MiB", mib / secs, "MiB/s", "copy + sha256", mib / verified_s)


def tracked_latency(root: Path, rounds: int) -> None:
    from trackline import tracked_task
    from trackline.blobs import uploader
    from trackline.config import settings

    payload = os.urandom(1 << 20) * 100  # 100 MiB (new bytes each round: see below)

    def make(keep: str):
        @tracked_task(keep=keep, name=f"export_{keep}")
        def export(out: Path, salt: int) -> None:
            with open(out, "wb") as fh:
                fh.write(salt.to_bytes(8, "big"))
                fh.write(payload)

        return export

    calls = {"none": make("none"), "outputs": make("outputs")}
    times: dict[str, list[float]] = {"none": [], "outputs": []}
    for i in range(rounds):
        for keep, fn in calls.items():  # interleaved, so load changes hit both alike
            out = root / f"out-{keep}-{i}.bin"
            t = time.perf_counter()
            fn(out, i * 2 + (keep == "outputs"))  # every output is new bytes: a real upload
            times[keep].append(time.perf_counter() - t)
            uploader(settings()).wait()  # let the upload finish outside the timed call
            out.unlink()
    base, kept = statistics.median(times["none"]), statistics.median(times["outputs"])
    report(
        "tracked call writing 100 MiB, keep=outputs",
        kept * 1000,
        "ms",
        "keep=none",
        base * 1000,
        note=f"added {100 * (kept - base) / base:.1f}% (the call already hashes the output)",
    )


def main(mib: int = 256, rounds: int = 3) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        root = Path(tmp)
        os.environ["TRACKLINE_HOME"] = str(root / "home")
        throughput(root, mib, rounds)
        tracked_latency(root, max(rounds, 5))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 256)
