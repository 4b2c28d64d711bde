"""Shared helpers: timing with a baseline measured in the same run, and result printing."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS: list[dict] = []


def median_us(fn: Callable[[], object], n: int, warmup: int = 20) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1e6


def report(
    name: str,
    value: float,
    unit: str,
    baseline_name: str | None = None,
    baseline: float | None = None,
    note: str = "",
) -> None:
    row = {"benchmark": name, "value": round(value, 3), "unit": unit}
    line = f"{name:<58} {value:>12.3f} {unit}"
    if baseline is not None:
        row.update(
            baseline=baseline_name,
            baseline_value=round(baseline, 3),
            ratio=round(value / baseline, 2) if baseline else None,
        )
        line += f"   | {baseline_name}: {baseline:.3f} {unit} (ratio {value / baseline:.2f}x)"
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


def save(path: Path) -> None:
    path.write_text(json.dumps({"machine": machine(), "results": RESULTS}, indent=2))


def workdir() -> Path:
    d = Path(os.environ.get("BENCH_DIR", Path(__file__).parent / ".data"))
    d.mkdir(parents=True, exist_ok=True)
    return d
