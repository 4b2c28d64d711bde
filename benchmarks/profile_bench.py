"""Profiling and drift speed on 1,000,000 rows × 20 columns, against baselines timed in this run.

    .venvs/core/bin/python benchmarks/profile_bench.py [--rows N]

Prints seconds and the ratio to ``DataFrame.describe()`` (numeric columns) and to
``describe(include="all")``. No absolute time limits: machines differ; ratios travel.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from trackline.monitoring.drift import compare
from trackline.profiles.profile import merge_profiles, profile_frame


def frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(14):
        cols[f"num_{i}"] = rng.normal(i + shift, 1 + i / 4, rows)
    cols["count"] = rng.poisson(3, rows)
    cols["amount"] = rng.lognormal(3, 1, rows)
    cats = np.array([f"segment_{i}" for i in range(40)])
    for i in range(3):
        cols[f"cat_{i}"] = cats[rng.integers(0, 40, rows)]
    cols["flag"] = rng.random(rows) < 0.2
    return pd.DataFrame(cols)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ref, cur = frame(args.rows, 1), frame(args.rows, 2, shift=0.1)
    print(f"{args.rows:,} rows × {ref.shape[1]} columns")

    describe = best_of(lambda: ref.describe(), args.repeat)
    describe_all = best_of(lambda: ref.describe(include="all"), args.repeat)
    full = best_of(lambda: profile_frame(ref, "full"), args.repeat)
    sampled = best_of(lambda: profile_frame(ref, "sampled"), args.repeat)
    p_ref, p_cur = profile_frame(ref), profile_frame(cur)
    drift = best_of(lambda: compare(p_ref, p_cur), args.repeat)
    parts = [profile_frame(ref.iloc[i::10]) for i in range(10)]
    merge = best_of(lambda: merge_profiles(parts), args.repeat)

    rows = [
        ("describe() [baseline]", describe, 1.0),
        ("describe(include='all')", describe_all, describe_all / describe),
        ("profile full", full, full / describe),
        ("profile sampled (100k)", sampled, sampled / describe),
        ("drift compare (20 cols)", drift, drift / describe),
        ("merge 10 profiles", merge, merge / describe),
    ]
    for name, seconds, ratio in rows:
        print(f"{name:26s} {seconds:8.3f} s   {ratio:6.3f} × describe()")
    print(f"profile size: {len(json.dumps(p_ref)):,} bytes of JSON (independent of row count)")


if __name__ == "__main__":
    main()
