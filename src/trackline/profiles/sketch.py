"""Fixed-size quantile summaries: ``KNOTS`` evenly spaced quantiles of a numeric column.

A summary is the piecewise-linear CDF through its knots (mass ``1/K`` spread evenly between two
neighbouring knots, a point mass where knots repeat). Summaries of several batches merge by
inverting the count-weighted mixture of their CDFs, so a reference window is built from daily
profiles without the raw data. One batch's knots are exact; a merge adds at most one knot
interval (``1/K`` in rank) of error, and an n-way merge is a single step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["KNOTS", "build", "cdf", "left_cdf", "merge", "quantile"]

KNOTS = 129  # 128 intervals: rank error of a merge ≤ 1/128; ~2.5 KB of JSON per column


def build(values: np.ndarray, knots: int = KNOTS) -> list[float]:
    """The exact quantiles of finite ``values`` at ``0, 1/K, …, 1`` (linear interpolation)."""
    if values.size == 0:
        return []
    ordered = np.sort(values, kind="quicksort")
    pos = np.linspace(0.0, ordered.size - 1, knots)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, ordered.size - 1)
    frac = pos - lo
    out = ordered[lo] * (1.0 - frac) + ordered[hi] * frac
    return [float(v) for v in np.maximum.accumulate(out)]


def _probs(k: np.ndarray) -> np.ndarray:
    return np.linspace(0.0, 1.0, k.size)


def cdf(knots: Sequence[float], x: np.ndarray) -> np.ndarray:
    """P(X ≤ x) under the summary (right-continuous: point masses at ``x`` count)."""
    k = np.asarray(knots, dtype=float)
    x = np.asarray(x, dtype=float)
    if k.size == 0:
        return np.zeros_like(x)
    if k.size == 1:
        return (x >= k[0]).astype(float)
    step = 1.0 / (k.size - 1)
    j = np.searchsorted(k, x, side="right") - 1
    inside = (j >= 0) & (j < k.size - 1)
    jj = np.clip(j, 0, k.size - 2)
    width = k[jj + 1] - k[jj]
    frac = np.where(width > 0, (x - k[jj]) / np.where(width > 0, width, 1.0), 0.0)
    out = np.where(inside, (jj + np.clip(frac, 0.0, 1.0)) * step, np.where(j < 0, 0.0, 1.0))
    return out


def left_cdf(knots: Sequence[float], x: np.ndarray) -> np.ndarray:
    """P(X < x): the CDF just left of ``x`` (differs from ``cdf`` at point masses)."""
    k = np.asarray(knots, dtype=float)
    x = np.asarray(x, dtype=float)
    if k.size == 0:
        return np.zeros_like(x)
    if k.size == 1:
        return (x > k[0]).astype(float)
    step = 1.0 / (k.size - 1)
    j = np.searchsorted(k, x, side="left") - 1
    inside = (j >= 0) & (j < k.size - 1)
    jj = np.clip(j, 0, k.size - 2)
    width = k[jj + 1] - k[jj]
    frac = np.where(width > 0, (x - k[jj]) / np.where(width > 0, width, 1.0), 1.0)
    out = np.where(inside, (jj + np.clip(frac, 0.0, 1.0)) * step, np.where(j < 0, 0.0, 1.0))
    return out


def quantile(knots: Sequence[float], p: np.ndarray) -> np.ndarray:
    k = np.asarray(knots, dtype=float)
    return np.interp(np.asarray(p, dtype=float), _probs(k), k)


def merge(
    summaries: Sequence[Sequence[float]], weights: Sequence[float], knots: int = KNOTS
) -> list[float]:
    """Knots of the weighted mixture of several summaries (weights: their value counts)."""
    parts = [
        (np.asarray(s, dtype=float), float(w))
        for s, w in zip(summaries, weights)
        if len(s) and w > 0
    ]
    if not parts:
        return []
    if len(parts) == 1:
        return [float(v) for v in parts[0][0]]
    total = sum(w for _, w in parts)
    xs = np.unique(np.concatenate([s for s, _ in parts]))
    right = sum(w * cdf(s, xs) for s, w in parts) / total
    left = sum(w * left_cdf(s, xs) for s, w in parts) / total
    # The mixture CDF as a curve through (x, F(x-)) and (x, F(x)): vertical steps are point masses.
    curve_x = np.repeat(xs, 2)
    curve_p = np.empty(curve_x.size)
    curve_p[0::2], curve_p[1::2] = left, right
    curve_p = np.maximum.accumulate(curve_p)
    out = np.interp(np.linspace(0.0, 1.0, knots), curve_p, curve_x)
    out[0], out[-1] = xs[0], xs[-1]
    return [float(v) for v in np.maximum.accumulate(out)]
