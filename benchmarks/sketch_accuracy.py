"""Which quantile summary: ours (rank-bounded, dense tails) against KLL and the old 129 knots.

    .venvs/bench-drift/bin/python benchmarks/sketch_accuracy.py   (run by benchmarks/drift.sh)

Two independent samples of the same distribution, 200,000 rows each (and the reference merged
from 30 daily batches). For each summary: the Wasserstein/σ estimate, the exact value from the
raw samples (scipy), and the error bound derivable from the summary's rank error. KLL
(Apache DataSketches, k=200) has an additive rank error ε at every rank, so its bound is
∫ (Q(p+ε) − Q(p−ε)) dp per side: dominated by the tails on skewed data.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance

from trackline.monitoring.drift import compare
from trackline.profiles import sketch
from trackline.profiles.profile import merge_profiles, profile_frame

N = 200_000
GRID = (np.arange(2000) + 0.5) / 2000


def _kll(parts, k=200):
    from datasketches import kll_doubles_sketch

    merged = kll_doubles_sketch(k)
    for values in parts:
        one = kll_doubles_sketch(k)
        one.update(np.ascontiguousarray(values, dtype=np.float64))
        merged.merge(one)
    return merged


def _kll_w1(a_parts, b_parts, std):
    try:
        a, b = _kll(a_parts), _kll(b_parts)
    except ImportError:
        return None
    qa, qb = np.array(a.get_quantiles(GRID)), np.array(b.get_quantiles(GRID))
    est = float(np.mean(np.abs(qa - qb))) / std
    bound = 0.0
    for s in (a, b):
        eps = s.normalized_rank_error(False)
        hi = np.array(s.get_quantiles(np.minimum(GRID + eps, 1.0)))
        lo = np.array(s.get_quantiles(np.maximum(GRID - eps, 0.0)))
        bound += float(np.mean(hi - lo)) / std
    return est, bound


def _legacy_w1(a, b, std):
    """The version-1 summary: 129 evenly spaced quantiles, W1 between the quantile functions."""
    ka = np.quantile(a, np.linspace(0, 1, 129))
    kb = np.quantile(b, np.linspace(0, 1, 129))
    qa = np.interp(GRID, np.linspace(0, 1, 129), ka)
    qb = np.interp(GRID, np.linspace(0, 1, 129), kb)
    return float(np.mean(np.abs(qa - qb))) / std


DISTS = {
    "normal(0, 1)": lambda r, n: r.normal(0, 1, n),
    "lognormal(10, 1)": lambda r, n: r.lognormal(10, 1, n),
    "lognormal(0, 2)": lambda r, n: r.lognormal(0, 2, n),
    "pareto(1.5)": lambda r, n: r.pareto(1.5, n) + 1,
}


def main() -> None:
    print(f"same distribution, {N:,} rows each; W1/σ (threshold 0.1)")
    head = f"{'distribution':18s} {'exact':>8s} {'ours':>16s} {'KLL k=200':>18s} {'129 knots':>10s}"
    print(head + f"   {'ours (ref = 30 merged days)':>28s}")
    for name, gen in DISTS.items():
        rng = np.random.default_rng(7)
        days = [gen(rng, N // 30) for _ in range(30)]
        a, b = np.concatenate(days), gen(rng, N)
        std = a.std(ddof=1)
        exact = wasserstein_distance(a, b) / std
        col = compare(profile_frame_x(a), profile_frame_x(b))[0][0]
        merged = merge_profiles([profile_frame_x(d) for d in days])
        mcol = compare(merged, profile_frame_x(b))[0][0]
        kll = _kll_w1(days, [b], std)
        kll_text = f"{kll[0]:.4f} ± {kll[1]:.3f}" if kll else "(no datasketches)"
        print(
            f"{name:18s} {exact:8.4f} {col.score:8.4f} ± {col.bound:.3f} {kll_text:>18s} "
            f"{_legacy_w1(a, b, std):10.4f}   {mcol.score:8.4f} ± {mcol.bound:.3f}"
        )
    print(f"summary size: ours ≤ {sketch.MAX_KNOTS} knots (about 560 at 1M rows, ~8 KB JSON)")


def profile_frame_x(values):
    import pandas as pd

    return profile_frame(pd.DataFrame({"x": values}))


if __name__ == "__main__":
    main()
