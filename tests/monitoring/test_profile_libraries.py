"""pandas, Polars and pyarrow tables of the same data give the same profile, read natively."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import trackline
from trackline.monitoring.drift import compare
from trackline.profiles.profile import profile_frame


def _data(n: int = 20_000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0, 2, n)
    x[:3] = [np.inf, -np.inf, np.inf]
    return {
        "x": x,
        "i": rng.integers(0, 1_000_000, n),
        "c": np.array(["red", "green", "blue"], dtype=object)[rng.integers(0, 3, n)],
        "b": rng.random(n) < 0.3,
    }


def _same(a: dict, b: dict) -> None:
    assert a["rows"] == b["rows"]
    for name, col in a["columns"].items():
        other = b["columns"][name]
        assert col["kind"] == other["kind"], name
        if col["kind"] == "numeric":
            keys = ("count", "nulls", "pos_inf", "neg_inf", "min", "max", "sketch")
            assert {k: col[k] for k in keys} == {k: other[k] for k in keys}, name
            assert col["mean"] == pytest.approx(other["mean"], rel=1e-12)
        else:
            assert sorted(col["top"]) == sorted(other["top"]), name
            assert col["hll"] == other["hll"] and col["count"] == other["count"]


def test_polars_and_arrow_match_pandas():
    data = _data()
    from_pandas = profile_frame(pd.DataFrame(data))
    _same(from_pandas, profile_frame(pl.DataFrame(data)))
    _same(from_pandas, profile_frame(pa.table(data)))
    _same(from_pandas, profile_frame(pa.table(data).to_batches()[0]))


def test_nulls_dates_and_categories_in_each_library():
    frame = pl.DataFrame(
        {
            "x": [1.0, None, 3.0, float("nan")],
            "s": ["a", None, "a", "b"],
            "d": pl.Series([1, 2, None, 4]).cast(pl.Datetime("ms")),
            "cat": pl.Series(["u", "v", "u", None]).cast(pl.Categorical),
        }
    )
    prof = profile_frame(frame)["columns"]
    assert (prof["x"]["count"], prof["x"]["nulls"]) == (2, 2)  # NaN counts as missing
    assert (prof["s"]["count"], prof["s"]["nulls"]) == (3, 1)
    assert prof["d"]["unit"] == "datetime" and prof["d"]["max"] == 0.004
    assert dict((k, c) for k, c, _ in prof["cat"]["top"]) == {"u": 2, "v": 1}
    arrow = profile_frame(frame.to_arrow())["columns"]
    assert arrow["s"]["top"] == prof["s"]["top"] and arrow["d"]["max"] == 0.004
    assert arrow["cat"]["top"] == prof["cat"]["top"]


def test_unsupported_values_are_a_clear_error():
    with pytest.raises(trackline.TracklineError, match="pandas, Polars or pyarrow"):
        profile_frame([1, 2, 3])
    with pytest.raises(trackline.TracklineError, match="LazyFrame"):
        profile_frame(pl.DataFrame({"x": [1]}).lazy())


def test_check_drift_takes_polars_and_arrow(use_store):
    ref = pl.DataFrame(_data(10_000, 1))
    moved = {**_data(10_000, 2), "c": np.array(["red"] * 10_000, dtype=object)}
    report = trackline.check_drift(ref, pa.table(moved), record=False)
    drifted = {c.column for c in report.columns if c.drifted}
    assert drifted == {"c"}
    calm = compare(profile_frame(ref), profile_frame(pl.DataFrame(_data(10_000, 3))))[0]
    assert not any(c.drifted for c in calm)
