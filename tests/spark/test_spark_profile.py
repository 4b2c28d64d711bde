"""Spark DataFrames are profiled per partition on the executors; the driver merges profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import wasserstein_distance

from trackline.monitoring.drift import compare
from trackline.profiles.profile import numeric_summary, profile_frame
from trackline.profiles.spark import profile_spark


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3 + shift, 1, n)
    x[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.poisson(3, n),
            "c": np.array(["a", "b", "c", "d"], dtype=object)[rng.integers(0, 4, n)],
            "t": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
        }
    )


@pytest.fixture(scope="module")
def data(spark):
    frame = _frame(60_000, 1)
    sdf = spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).repartition(6)
    return frame, sdf


def test_partition_profiles_merge_to_the_whole(data):
    frame, sdf = data
    prof = profile_spark(sdf)
    local = profile_frame(frame)
    assert prof["rows"] == 60_000 and prof["partitions"] == 6 and prof["merged"] == 6
    x, lx = prof["columns"]["x"], local["columns"]["x"]
    assert (x["count"], x["nulls"], x["min"], x["max"]) == (
        lx["count"],
        lx["nulls"],
        lx["min"],
        lx["max"],
    )
    assert x["mean"] == pytest.approx(lx["mean"], rel=1e-9)
    assert x["m2"] == pytest.approx(lx["m2"], rel=1e-9)
    # The merged summary's proven envelope holds the true CDF.
    values = np.sort(frame["x"].dropna().to_numpy())
    probe = np.quantile(values, np.linspace(0.001, 0.999, 500))
    low, high = numeric_summary(x).envelope(probe)
    true = np.searchsorted(values, probe, side="right") / values.size
    assert np.all(low <= true) and np.all(true <= high)
    assert numeric_summary(prof["columns"]["k"]).exact  # few distinct values: exact after merge
    top = {t[0]: t[1] for t in prof["columns"]["c"]["top"]}
    assert top == frame["c"].value_counts().to_dict()
    assert prof["columns"]["t"]["unit"] == "datetime"
    assert prof["columns"]["t"]["min"] == frame["t"].min().timestamp()


def test_drift_between_spark_and_pandas_profiles(spark, data):
    frame, sdf = data
    ref = profile_spark(sdf)
    same = compare(ref, profile_frame(_frame(30_000, 2)))[0]
    assert not any(c.drifted for c in same), same
    moved = _frame(30_000, 3, shift=0.3)
    cols = {c.column: c for c in compare(ref, profile_frame(moved))[0]}
    x = cols["x"]
    exact = wasserstein_distance(frame["x"].dropna(), moved["x"].dropna()) / frame["x"].std()
    assert x.drifted and abs(x.score - exact) <= x.bound


def test_check_drift_takes_a_spark_dataframe(data):
    import trackline

    frame, sdf = data
    moved = _frame(20_000, 4, shift=0.5)
    report = trackline.check_drift(sdf, moved, record=False)
    assert report.reference.rows == 60_000 and report.reference.ref.startswith("<spark")
    assert {c.column for c in report.columns if c.drifted} == {"x"}


def test_empty_frame(spark, data):
    _, sdf = data
    prof = profile_spark(sdf.limit(0))
    assert prof["rows"] == 0 and set(prof["columns"]) == {"x", "k", "c", "t"}
