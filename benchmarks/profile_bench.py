"""Profiling + drift of 1,000,000 rows × 20 columns, side by side with Evidently in the same run.

    benchmarks/drift.sh [--rows N] [--no-evidently] [--no-spark]

``drift.sh`` builds ``.venvs/bench-drift`` (trackline with Polars, pyspark, Evidently and
DataDriftPreset's dependencies — Evidently is installed only there). Prints seconds, the total
for "profile both frames + compare", Evidently's ``DataDriftPreset`` on the same two pandas
frames, and profiling throughput in rows/s for pandas, Polars, pyarrow and Spark (local[2]).
No absolute time limits: machines differ; ratios in the same run travel.
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


def line(name: str, seconds: float, extra: str = "") -> None:
    print(f"{name:44s} {seconds:8.3f} s   {extra}", flush=True)


def evidently_seconds(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, int] | None:
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except ImportError:
        return None
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    seconds = time.perf_counter() - start
    drifted = 0
    for metric in snapshot.dict().get("metrics", []):
        name = str(metric.get("metric_id", ""))
        if name.startswith("DriftedColumnsCount"):
            drifted = int(metric["value"]["count"])
    return seconds, drifted


def spark_throughput(ref: pd.DataFrame, repeat: int) -> float | None:
    try:
        import os
        import sys

        import pyarrow as pa
        from pyspark.sql import SparkSession

        from trackline.profiles.spark import profile_spark
    except ImportError:
        return None
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        sdf = spark.createDataFrame(pa.Table.from_pandas(ref, preserve_index=False))
        sdf = sdf.repartition(4).cache()
        sdf.count()
        return best_of(lambda: profile_spark(sdf), repeat)
    finally:
        spark.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-evidently", action="store_true")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()
    rows = args.rows
    ref, cur = frame(rows, 1), frame(rows, 2, shift=0.1)
    print(f"{rows:,} rows × {ref.shape[1]} columns (16 numeric, 4 categorical), two frames")

    def ours():
        return compare(profile_frame(ref), profile_frame(cur))

    total = best_of(ours, args.repeat)
    cols, _ = ours()
    p_ref, p_cur = profile_frame(ref), profile_frame(cur)
    one = best_of(lambda: profile_frame(ref), args.repeat)
    drift = best_of(lambda: compare(p_ref, p_cur), args.repeat)
    parts = [profile_frame(ref.iloc[i::30]) for i in range(30)]
    merge = best_of(lambda: merge_profiles(parts), args.repeat)
    describe = best_of(lambda: ref.describe(), args.repeat)
    line(
        "trackline: profile both + drift (total)", total, f"{sum(c.drifted for c in cols)} drifted"
    )
    line("  profile one frame (pandas)", one, f"{rows / one:,.0f} rows/s")
    line("  drift compare from profiles (20 cols)", drift)
    line("  merge 30 daily profiles", merge)
    line("pandas describe() [reference point]", describe)
    import polars as pl
    import pyarrow as pa

    pl_ref = pl.from_pandas(ref)
    pa_ref = pa.Table.from_pandas(ref, preserve_index=False)
    t_pl = best_of(lambda: profile_frame(pl_ref), args.repeat)
    t_pa = best_of(lambda: profile_frame(pa_ref), args.repeat)
    line("  profile one frame (Polars)", t_pl, f"{rows / t_pl:,.0f} rows/s")
    line("  profile one frame (pyarrow)", t_pa, f"{rows / t_pa:,.0f} rows/s")
    if not args.no_spark:
        t_sp = spark_throughput(ref, args.repeat)
        if t_sp is not None:
            line("  profile one frame (Spark local[2])", t_sp, f"{rows / t_sp:,.0f} rows/s")
    if not args.no_evidently:
        found = evidently_seconds(ref, cur)
        if found is None:
            print("evidently not installed: run benchmarks/drift.sh")
        else:
            seconds, drifted = found
            line(
                "Evidently DataDriftPreset (same frames)",
                seconds,
                f"{drifted} drifted; {seconds / total:.1f}× trackline's total",
            )
    print(f"profile size: {len(json.dumps(p_ref)):,} bytes of JSON (independent of row count)")


if __name__ == "__main__":
    main()
