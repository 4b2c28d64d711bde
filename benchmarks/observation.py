"""Direction by observation: what looking at path arguments before and after a call costs.

1. A tracked call with three file-path arguments (observed: stat before, stat + cached hash
   after) against the same tracked call given the paths as short strings (recorded as params,
   not observed) — the difference is the observation.
2. Re-observing an unchanged folder of N small files, as the recorder does it (scan before, scan
   after, digest and manifest from the stat-listing cache), in a fresh process state (only the
   on-disk cache), against a bare ``os.scandir`` walk with ``stat`` of every file.
"""

from __future__ import annotations

import os
import shutil
import time

from _common import median_us, report, workdir


def _bare_scan(root: str) -> int:
    n = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                else:
                    e.stat()
                    n += 1
    return n


def three_paths(n: int) -> None:
    base = workdir() / "observe"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    os.environ["TRACKLINE_HOME"] = str(base / "home")
    os.environ["TRACKLINE_STORE"] = f"sqlite:///{base / 'store.db'}"
    os.environ["TRACKLINE_CAPTURE_ENVIRONMENT"] = "0"
    files = []
    for i in range(3):
        p = base / f"in{i}.bin"  # not tabular: no schema or profile, only the observation
        p.write_bytes(os.urandom(64 * 1024))
        files.append(p)
    from trackline import tracked_task

    @tracked_task(name="three")
    def three(a, b, c):
        return None

    observed = median_us(lambda: three(*files), n)
    as_strings = [str(f) for f in files]
    plain = median_us(lambda: three(*as_strings), n)
    report(
        "tracked call, 3 path args observed (us)",
        observed,
        "us",
        "same call, paths as str params",
        plain,
        note=f"added {observed - plain:.0f} us for 3 paths",
    )
    from trackline.capture.observe import path_state

    stat_pair = median_us(lambda: [path_state(f) == path_state(f) for f in files], n)
    report("before+after stat of 3 paths (us)", stat_pair, "us")


def big_folder(files: int) -> None:
    from trackline.capture import hashing
    from trackline.capture.artifacts import describe_path
    from trackline.capture.observe import path_state

    root = workdir() / f"folder-{files}"
    if not root.exists() or sum(1 for _ in root.rglob("*.txt")) != files:
        shutil.rmtree(root, ignore_errors=True)
        for d in range(files // 1000 or 1):
            sub = root / f"d{d:03d}"
            sub.mkdir(parents=True)
            for i in range(min(1000, files)):
                (sub / f"f{i:04d}.txt").write_text(f"{d}-{i}\n")
    home = workdir() / "folder-home"
    shutil.rmtree(home, ignore_errors=True)

    t = time.perf_counter()
    _bare_scan(str(root))
    bare = time.perf_counter() - t

    t = time.perf_counter()
    first = describe_path(root, home=home)
    cold = time.perf_counter() - t

    hashing._cache._mem.clear()  # a new process: only the on-disk cache
    t = time.perf_counter()
    before = path_state(root)
    after = path_state(root)
    again = describe_path(root, home=home, listing=after[1])
    warm = time.perf_counter() - t
    if again.digest != first.digest or before != after:
        raise SystemExit("re-observation changed the digest")
    report(f"folder of {files} files, first observation (s)", cold, "s", "bare scandir+stat", bare)
    report(
        f"folder of {files} files, unchanged re-observation (s)",
        warm,
        "s",
        "bare scandir+stat",
        bare,
        note="scan before + scan after + cached digest/manifest",
    )


def main(n: int = 300, files: int = 100_000) -> None:
    three_paths(n)
    big_folder(files)


if __name__ == "__main__":
    import sys

    quick = "--quick" in sys.argv
    main(100 if quick else 300, 10_000 if quick else 100_000)
