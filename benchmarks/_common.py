"""Shared helpers: timing with a baseline measured in the same run, and result printing."""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RESULTS: list[dict] = []


# Timings are taken in rounds; a figure is the fastest round's median (its baseline the same).
# A round's median is what a call typically costs; taking the best of a few rounds keeps a
# moment when another tenant of this virtual machine slowed everything down (seen here: an
# untracked call twice as slow as usual for a second) out of the figure, as timeit advises.
ROUNDS = 3


def median_us(fn: Callable[[], object], n: int, warmup: int = 20, rounds: int = ROUNDS) -> float:
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(rounds):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        best = min(best, statistics.median(samples))
    return best * 1e6


def report(
    name: str,
    value: float,
    unit: str,
    baseline_name: str | None = None,
    baseline: float | None = None,
    note: str = "",
    aim: str | None = None,
    met: bool | None = None,
) -> None:
    """Print one figure with its same-run baseline and ratio (value / baseline) and, when the
    figure has an aim, whether this run met it."""
    row = {"benchmark": name, "value": round(value, 3), "unit": unit}
    line = f"{name:<62} {value:>12.3f} {unit}"
    if baseline is not None:
        row.update(
            baseline=baseline_name,
            baseline_value=round(baseline, 3),
            ratio=round(value / baseline, 4) if baseline else None,
        )
        line += f"   | {baseline_name}: {baseline:.3f} {unit} (ratio {value / baseline:.3f})"
    if aim is not None:
        row.update(aim=aim, met=met)
        line += f"   aim {aim}: {'MET' if met else 'NOT MET'}"
    if note:
        row["note"] = note
        line += f"   [{note}]"
    RESULTS.append(row)
    print(line, flush=True)


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def commit() -> str:
    """The commit measured (``+dirty`` when the worktree has uncommitted changes)."""
    here = Path(__file__).parent

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return sha + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


HISTORY_FIELDS = [
    "when",
    "commit",
    "benchmark",
    "value",
    "unit",
    "baseline",
    "baseline_value",
    "ratio",
    "aim",
    "met",
    "note",
    "cpus",
    "load_avg_1m",
]


def save(path: Path, history: Path | None = None) -> None:
    """Write this run's results (JSON) and append them to the results history (CSV), one row
    per figure with the commit measured, so a regression shows across commits."""
    info = machine()
    path.write_text(json.dumps({"machine": info, "commit": commit(), "results": RESULTS}, indent=2))
    if history is None:
        return
    new = not history.exists()
    when, sha = datetime.now(UTC).isoformat(timespec="seconds"), commit()
    with history.open("a", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=HISTORY_FIELDS, extrasaction="ignore")
        if new:
            out.writeheader()
        for row in RESULTS:
            out.writerow(
                {
                    **row,
                    "when": when,
                    "commit": sha,
                    "cpus": info["cpus"],
                    "load_avg_1m": info["load_avg_1m"],
                }
            )


def workdir() -> Path:
    d = Path(os.environ.get("BENCH_DIR", Path(__file__).parent / ".data"))
    d.mkdir(parents=True, exist_ok=True)
    return d
