"""Profiles: shapes, edge cases, fixed size, merging, and the capture hook."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trackline
from trackline.profiles import sketch
from trackline.profiles.profile import TOP_K, merge_profiles, numeric_summary, profile_frame


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(10, 2, n)
    x[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 5, n),
            "c": np.array(["red", "green", "blue"])[rng.integers(0, 3, n)],
            "b": rng.random(n) < 0.3,
            "t": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
        }
    )


def test_columns_are_typed_and_counted():
    prof = profile_frame(_frame(10_000))
    cols = prof["columns"]
    assert prof["rows"] == 10_000
    assert {c: cols[c]["kind"] for c in cols} == {
        "x": "numeric",
        "k": "numeric",
        "c": "categorical",
        "b": "categorical",
        "t": "numeric",
    }
    assert cols["x"]["count"] + cols["x"]["nulls"] == 10_000
    assert cols["x"]["nulls"] > 300
    assert abs(cols["x"]["mean"] - 10) < 0.1
    assert numeric_summary(cols["x"]).n == cols["x"]["count"]
    assert numeric_summary(cols["k"]).exact  # five distinct values: kept exactly
    assert {t[0] for t in cols["c"]["top"]} == {"red", "green", "blue"}
    assert cols["c"]["distinct"] == 3 and cols["c"]["other"] == 0
    assert {t[0] for t in cols["b"]["top"]} == {"true", "false"}
    assert (
        cols["t"]["unit"] == "datetime"
        and cols["t"]["min"] >= pd.Timestamp("2026-01-01").timestamp()
    )


def test_empty_single_row_and_all_null_columns():
    empty = profile_frame(
        pd.DataFrame({"x": pd.Series([], dtype=float), "c": pd.Series([], dtype=object)})
    )
    assert empty["rows"] == 0
    assert empty["columns"]["x"]["count"] == 0 and numeric_summary(empty["columns"]["x"]).n == 0
    assert empty["columns"]["c"]["top"] == []
    one = profile_frame(pd.DataFrame({"x": [3.5], "c": ["a"]}))
    assert numeric_summary(one["columns"]["x"]).v.tolist() == [3.5]
    assert one["columns"]["x"]["m2"] == 0.0
    nulls = profile_frame(pd.DataFrame({"x": [np.nan] * 50, "c": [None] * 50}))
    assert nulls["columns"]["x"]["count"] == 0 and nulls["columns"]["x"]["nulls"] == 50
    assert nulls["columns"]["c"]["nulls"] == 50 and nulls["columns"]["c"]["count"] == 0
    infs = profile_frame(pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0]}))
    assert infs["columns"]["x"]["inf"] == 2 and infs["columns"]["x"]["max"] == 2.0
    assert (infs["columns"]["x"]["pos_inf"], infs["columns"]["x"]["neg_inf"]) == (1, 1)
    json.dumps([empty, one, nulls, infs], allow_nan=False)  # storable as strict JSON


def test_high_cardinality_is_bounded_and_estimated():
    n = 200_000
    prof = profile_frame(pd.DataFrame({"id": [f"user-{i}" for i in range(n)]}))
    col = prof["columns"]["id"]
    assert len(col["top"]) == TOP_K
    assert col["other"] == n - TOP_K
    assert col["distinct"] == n  # one batch: exact
    halves = [
        profile_frame(pd.DataFrame({"id": [f"user-{i}" for i in range(a, b)]}))
        for a, b in ((0, 120_000), (80_000, 200_000))
    ]
    merged = merge_profiles(halves)["columns"]["id"]
    assert abs(merged["distinct"] - n) / n < 0.05  # HyperLogLog, ~2.3 % standard error


def test_size_does_not_grow_with_rows():
    small = len(json.dumps(profile_frame(_frame(1_000))))
    large = len(json.dumps(profile_frame(_frame(300_000))))
    assert large < small * 1.2


def test_merged_profile_matches_profile_of_concatenation():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "x": np.concatenate([rng.normal(0, 1, 60_000), rng.exponential(3, 40_000)]),
            "c": np.array(list("abcdefg"))[rng.integers(0, 7, 100_000)],
        }
    )
    frame = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    cuts = [0, 7_000, 30_000, 71_000, 100_000]
    parts = [profile_frame(frame.iloc[a:b]) for a, b in zip(cuts, cuts[1:])]
    merged = merge_profiles(parts)
    whole = profile_frame(frame)
    m, w = merged["columns"]["x"], whole["columns"]["x"]
    assert merged["rows"] == whole["rows"] == 100_000
    assert m["count"] == w["count"] and m["min"] == w["min"] and m["max"] == w["max"]
    assert m["mean"] == pytest.approx(w["mean"], rel=1e-9)
    assert m["m2"] == pytest.approx(w["m2"], rel=1e-9)  # Chan's formulas are exact
    # Quantile summaries: the true CDF lies inside the merged summary's proven envelope, and
    # the envelope is narrow (two plan spacings in the body: the parts' and the thinning's).
    values = np.sort(frame["x"].to_numpy())
    probe = np.quantile(values, np.linspace(0.0005, 0.9995, 999))
    true_rank = np.searchsorted(values, probe, side="right") / values.size
    summary = numeric_summary(m)
    low, high = summary.envelope(probe)
    assert np.all(low <= true_rank) and np.all(true_rank <= high)
    assert np.max(high - low) <= 2.5 / sketch.MIDDLE
    assert np.max(np.abs(summary.cdf(probe) - true_rank)) < 1 / sketch.MIDDLE
    # Seven values: every part lists them all, so the merged counts are exact (slack 0).
    assert sorted(merged["columns"]["c"]["top"]) == sorted(whole["columns"]["c"]["top"])


def test_sampled_mode_summarises_every_value():
    # A sample would void the summary's bounds, so both modes summarise all values.
    frame = _frame(300_000, seed=3)
    full, sampled = profile_frame(frame, "full"), profile_frame(frame, "sampled", 20_000)
    assert full["columns"]["x"]["sketch"] == sampled["columns"]["x"]["sketch"]


def test_version_1_profiles_are_still_read():
    """A profile stored before version 2 (129 even quantiles, top pairs) still compares."""
    rng = np.random.default_rng(5)
    x = np.sort(rng.normal(0, 1, 10_000))
    old = {
        "version": 1,
        "rows": 10_000,
        "mode": "full",
        "columns": {
            "x": {
                "kind": "numeric",
                "dtype": "float64",
                "unit": "number",
                "count": 10_000,
                "nulls": 0,
                "inf": 0,
                "min": float(x[0]),
                "max": float(x[-1]),
                "mean": float(x.mean()),
                "m2": float(np.square(x - x.mean()).sum()),
                "quantiles": np.quantile(x, np.linspace(0, 1, 129)).tolist(),
            },
            "c": {
                "kind": "categorical",
                "dtype": "object",
                "count": 10_000,
                "nulls": 0,
                "top": [["a", 6_000], ["b", 4_000]],
                "other": 0,
                "hll": profile_frame(pd.DataFrame({"c": ["a", "b"]}))["columns"]["c"]["hll"],
                "distinct": 2,
            },
        },
    }
    from trackline.monitoring.drift import compare

    new = profile_frame(pd.DataFrame({"x": rng.normal(0, 1, 10_000), "c": ["a", "b"] * 5_000}))
    cols = {c.column: c for c in compare(old, new)[0]}
    assert not cols["x"].drifted and cols["x"].bound > 0
    assert cols["c"].drifted  # 60/40 -> 50/50
    merged = merge_profiles([old, new])
    assert merged["version"] == 2 and merged["columns"]["x"]["count"] == 20_000
    assert dict((k, c) for k, c, _ in merged["columns"]["c"]["top"]) == {"a": 11_000, "b": 9_000}


def test_merge_rejects_a_column_that_changed_kind():
    a = profile_frame(pd.DataFrame({"v": [1.0, 2.0]}))
    b = profile_frame(pd.DataFrame({"v": ["x", "y"]}))
    with pytest.raises(trackline.TracklineError, match="numeric in some profiles"):
        merge_profiles([a, b])


def test_tracked_inputs_carry_profiles(use_store, monkeypatch, tmp_path):
    @trackline.tracked_task(name="consume")
    def consume(batch):
        return len(batch) if hasattr(batch, "__len__") else 0

    @trackline.tracked_task(name="quiet", profile="off")
    def quiet(batch):
        return len(batch) if hasattr(batch, "__len__") else 0

    frame = _frame(2_000)
    consume(frame)
    client = trackline.connect()
    art = client.artifact(client.run(client.runs(name="consume")[0].id).inputs[0].digest)
    assert art.profile["rows"] == 2_000 and art.profile["columns"]["x"]["kind"] == "numeric"

    quiet(_frame(2_000, seed=9))
    art = client.artifact(client.run(client.runs(name="quiet")[0].id).inputs[0].digest)
    assert art.profile is None

    path = tmp_path / "batch.csv"
    _frame(500, seed=2).to_csv(path, index=False)
    consume(path)
    run = client.run(client.runs(name="consume")[0].id)
    assert client.artifact(run.inputs[0].digest).profile["rows"] == 500

    monkeypatch.setenv("TRACKLINE_PROFILE", "off")
    consume(_frame(2_000, seed=11))
    run = client.run(client.runs(name="consume")[0].id)
    assert client.artifact(run.inputs[0].digest).profile is None


def test_bad_profile_setting_is_a_clear_error(monkeypatch):
    from trackline.config import settings
    from trackline.errors import ConfigError

    monkeypatch.setenv("TRACKLINE_PROFILE", "sometimes")
    with pytest.raises(ConfigError, match="TRACKLINE_PROFILE"):
        settings()
    with pytest.raises(ValueError, match="profile must be"):
        trackline.tracked_task(profile="always")


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4_000), min_size=2, max_size=8),
    digits=st.sampled_from([0, 1, 3, None]),
    seed=st.integers(0, 2**32 - 1),
)
def test_merged_rank_bounds_are_valid(sizes, digits, seed):
    """Whatever the batches (ties, point masses, sizes), merged knots' bounds hold the truth,
    and exact parts with few distinct values merge exactly."""
    rng = np.random.default_rng(seed)
    raw = [rng.lognormal(0, 1.5, n) for n in sizes]
    if digits is not None:
        raw = [np.round(x, digits) for x in raw]
    parts = [sketch.build(x) for x in raw]
    merged = sketch.merge(parts)
    merged = sketch.merge([merged, sketch.build(raw[0])])  # and a merge of a merge
    values = np.sort(np.concatenate([*raw, raw[0]]))
    at_or_below = np.searchsorted(values, merged.v, side="right")
    below = np.searchsorted(values, merged.v, side="left")
    assert merged.n == values.size
    assert np.all(merged.lo <= at_or_below) and np.all(merged.hi >= below)
    if np.unique(values).size <= sketch.MAX_KNOTS:
        assert merged.exact
