"""Per-column drift between two profiles, computed from the profiles alone (no raw data).

Numeric columns are binned on ``bins`` quantile edges frozen from the reference (the outer bins
are open, so values beyond the reference range land in them), plus a "missing" bin when either
side has nulls. On those bins: PSI and the Jensen–Shannon distance (base 2, in [0, 1]); empty
bins get ``EPSILON`` mass. Wasserstein-1 between the two quantile functions is divided by the
reference's standard deviation, so "0.1" means "moved a tenth of a standard deviation".
Categorical columns use the reference's top values plus an "other" bucket (categories unseen in
the reference land there) and a "missing" bucket. Every column also drifts when its share of
missing values moves by more than the ``missing`` threshold (reported as method "missing").
These are effect sizes: at a million rows every p-value is tiny, so none is used.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InvalidInput
from ..model.monitoring import ColumnDrift
from ..profiles.profile import column_variance, numeric_summary, top_bounds

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EPSILON",
    "ColumnDrift",
    "ColumnThreshold",
    "DriftConfig",
    "category_bins",
    "compare",
    "jensen_shannon",
    "psi",
]

EPSILON = 1e-4
Bins = tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
Method = Literal["psi", "jensen_shannon", "wasserstein"]
NUMERIC_METHODS = ("psi", "jensen_shannon", "wasserstein")
CATEGORICAL_METHODS = ("psi", "jensen_shannon")
DEFAULT_THRESHOLDS: dict[str, float] = {
    "psi": 0.2,
    # 0.07, not 0.1: a 10-point move of one category's share scores 0.085 at the least
    # (50 % -> 60 % of a two-valued column), and should be seen.
    "jensen_shannon": 0.07,
    "wasserstein": 0.1,
    "missing": 0.1,
}


class ColumnThreshold(BaseModel):
    """Per-column override: another method, another threshold, or leave the column out."""

    model_config = ConfigDict(extra="forbid")
    method: Method | None = None
    threshold: float | None = Field(default=None, ge=0)
    ignore: bool = False


class DriftConfig(BaseModel):
    """How drift is decided. ``share``: the dataset drifts when at least this share of the
    compared columns drifted."""

    model_config = ConfigDict(extra="forbid")
    numeric_method: Method = "wasserstein"
    categorical_method: Literal["psi", "jensen_shannon"] = "jensen_shannon"
    thresholds: dict[str, float] = Field(default_factory=dict)
    columns: dict[str, ColumnThreshold] = Field(default_factory=dict)
    share: float = Field(default=0.5, gt=0, le=1)
    bins: int = Field(default=10, ge=2, le=100)
    # Categories with at least this share of the reference get a bin of their own (at most the
    # profile's top 50); the rest, and categories unseen in the reference, share "other".
    category_share: float = Field(default=0.005, ge=0, le=1)

    @field_validator("thresholds")
    @classmethod
    def _known_methods(cls, v: dict[str, float]) -> dict[str, float]:
        for key, value in v.items():
            if key not in DEFAULT_THRESHOLDS:
                raise ValueError(f"unknown method {key!r}; known: {', '.join(DEFAULT_THRESHOLDS)}")
            if value < 0:
                raise ValueError(f"threshold of {key} must be >= 0")
        return v

    def threshold(self, method: str, column: str | None = None) -> float:
        col = self.columns.get(column) if column else None
        if col is not None and col.threshold is not None and (col.method in (None, method)):
            return col.threshold
        return self.thresholds.get(method, DEFAULT_THRESHOLDS[method])


def compare(
    reference: dict[str, Any], current: dict[str, Any], config: DriftConfig | None = None
) -> tuple[list[ColumnDrift], list[str]]:
    """Column results in the reference's column order, and the columns only ``current`` has."""
    cfg = config or DriftConfig()
    for side, prof in (("reference", reference), ("current", current)):
        if not isinstance(prof, dict) or "columns" not in prof:
            raise InvalidInput(f"the {side} has no data profile (profiling off, or not tabular)")
    unknown = set(cfg.columns) - set(reference["columns"]) - set(current["columns"])
    if unknown:
        raise InvalidInput(
            f"thresholds name columns neither side has: {', '.join(sorted(unknown))}"
        )
    results = []
    for name, ref in reference["columns"].items():
        override = cfg.columns.get(name)
        if override is not None and override.ignore:
            continue
        cur = current["columns"].get(name)
        results.append(_column(name, ref, cur, int(reference["rows"]), int(current["rows"]), cfg))
    added = [c for c in current["columns"] if c not in reference["columns"]]
    return results, added


def _column(
    name: str, ref: dict, cur: dict | None, ref_rows: int, cur_rows: int, cfg: DriftConfig
) -> ColumnDrift:
    if cur is None:
        return ColumnDrift(
            column=name,
            kind=ref["kind"],
            method="missing_column",
            score=1.0,
            threshold=0.0,
            drifted=True,
            detail={"reason": "column not in current"},
        )
    if ref["kind"] != cur["kind"] and "absent" not in (ref["kind"], cur["kind"]):
        return ColumnDrift(
            column=name,
            kind=ref["kind"],
            method="type_change",
            score=1.0,
            threshold=0.0,
            drifted=True,
            detail={"reference": ref.get("dtype"), "current": cur.get("dtype")},
        )
    kind = ref["kind"] if ref["kind"] != "absent" else cur["kind"]
    override = cfg.columns.get(name)
    if kind == "numeric":
        method = (override.method if override and override.method else None) or cfg.numeric_method
    else:
        method = (
            override.method if override and override.method else None
        ) or cfg.categorical_method
        if method == "wasserstein":
            raise InvalidInput(f"column {name!r} is categorical: use psi or jensen_shannon")
    null_ref = _null_share(ref, ref_rows)
    null_cur = _null_share(cur, cur_rows)
    detail: dict[str, Any] = {"null_share": [null_ref, null_cur], "rows": [ref_rows, cur_rows]}
    if not ref.get("count") or not cur.get("count"):
        # No values on one side: only the share of missing values can be compared.
        # An empty side (zero rows) says nothing, so it is never called drift.
        score = abs(null_cur - null_ref)
        thr = cfg.threshold("missing", name)
        return ColumnDrift(
            column=name,
            kind=kind,
            method="missing",
            score=score,
            bound=0.0,
            threshold=thr,
            drifted=bool(ref_rows and cur_rows and score > thr),
            scores={"missing": score},
            detail=detail,
        )
    if kind == "numeric":
        if not all(math.isfinite(float(side[k])) for side in (ref, cur) for k in ("mean", "m2")):
            # A variance past float range (values beyond ~1e154) would make every score 0 or
            # NaN: said, not reported as "no drift".
            raise InvalidInput(
                f"column {name!r}: its values are too large to measure drift (their variance "
                "overflows a float); rescale the column"
            )
        p, q = _numeric_bins(ref, cur, ref_rows, cur_rows, cfg.bins)
        found = _binned(p, q)
        found["wasserstein"] = _wasserstein(ref, cur)
        detail.update(
            mean=[ref["mean"], cur["mean"]],
            std=[_std(ref), _std(cur)],
            min=[ref["min"], cur["min"]],
            max=[ref["max"], cur["max"]],
        )
    else:
        p, q, unseen = _categorical_bins(ref, cur, null_ref, null_cur, cfg.category_share)
        found = _binned(p, q)
        detail.update(unseen=unseen, distinct=[ref.get("distinct"), cur.get("distinct")])
    detail["bins"] = {
        "reference": [round(float(v), 6) for v in p[0]],
        "current": [round(float(v), 6) for v in q[0]],
    }
    scores: dict[str, float | None] = {m: v[0] for m, v in found.items()}
    bounds = {m: v[1] for m, v in found.items()}
    score, bound = found[method]
    thr = cfg.threshold(method, name)
    missing, missing_thr = abs(null_cur - null_ref), cfg.threshold("missing", name)
    scores["missing"] = missing
    bounds["missing"] = 0.0
    detail["bounds"] = bounds
    if not score - bound > thr and missing > missing_thr:
        # The values still look alike, but far more (or fewer) of them are missing.
        method, score, bound, thr = "missing", missing, 0.0, missing_thr
    return ColumnDrift(
        column=name,
        kind=kind,
        method=method,
        score=score,
        bound=bound,
        threshold=thr,
        # Only a score that exceeds the threshold by more than its bound is drift: then the
        # exact score (from the raw data) exceeds the threshold too.
        drifted=bool(score - bound > thr),
        scores=scores,
        detail=detail,
    )


def _null_share(col: dict, rows: int) -> float:
    return float(col.get("nulls", 0)) / rows if rows else 0.0


def _std(col: dict) -> float | None:
    var = column_variance(col)
    return math.sqrt(var) if var is not None else None


def _shares(col: dict, rows: int) -> tuple[float, float, float]:
    """Shares of the rows that are finite values, -inf and +inf."""
    if not rows:
        return 0.0, 0.0, 0.0
    inf = int(col.get("inf", 0))
    pos = int(col.get("pos_inf", inf - inf // 2))
    neg = int(col.get("neg_inf", inf // 2))
    return int(col.get("count", 0)) / rows, neg / rows, pos / rows


def _numeric_bins(ref: dict, cur: dict, ref_rows: int, cur_rows: int, bins: int) -> Bins:
    """Masses (estimate, low, high) of reference-decile bins; -inf/+inf in the open outer bins."""
    sa, sb = numeric_summary(ref), numeric_summary(cur)
    probs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges = np.unique(sa.quantile(probs))

    def masses(summary, col: dict, rows: int):
        finite, neg, pos = _shares(col, rows)
        est = np.concatenate([[0.0], summary.cdf(edges), [1.0]])
        low, high = summary.envelope(edges)
        low = np.concatenate([[0.0], low, [1.0]])
        high = np.concatenate([[0.0], high, [1.0]])
        mid = np.diff(est) * finite
        lo = np.maximum(low[1:] - high[:-1], 0.0) * finite
        hi = (high[1:] - low[:-1]) * finite
        for arr in (mid, lo, hi):
            arr[0] += neg
            arr[-1] += pos
        return mid, lo, hi

    p, q = masses(sa, ref, ref_rows), masses(sb, cur, cur_rows)
    null_ref, null_cur = _null_share(ref, ref_rows), _null_share(cur, cur_rows)
    if null_ref > 0 or null_cur > 0:
        p = tuple(np.append(a, null_ref) for a in p)
        q = tuple(np.append(a, null_cur) for a in q)
    return p, q


def category_bins(ref: dict, share: float = 0.005) -> list[str]:
    """The reference's categories that get a bin of their own (at least ``share`` of its
    values, certainly): a near-uniform tail of many small categories would only add noise,
    and the current side's top list could not pin them down."""
    top, _ = top_bounds(ref)
    n = max(int(ref.get("count") or 0), 1)
    return [k for k, (low, _) in top.items() if low / n >= share]


def _categorical_bins(ref: dict, cur: dict, null_ref: float, null_cur: float, share: float):
    ref_top, ref_floor = top_bounds(ref)
    cur_top, cur_floor = top_bounds(cur)
    ref_n, cur_n = max(int(ref["count"]), 1), max(int(cur["count"]), 1)
    keys = category_bins(ref, share)

    def masses(top, floor, n, null, keys):
        lo = np.array([top.get(k, (0, floor))[0] for k in keys], dtype=float) / n * (1 - null)
        hi = np.array([top.get(k, (0, floor))[1] for k in keys], dtype=float) / n * (1 - null)
        hi = np.minimum(hi, 1 - null)
        mid = (lo + hi) / 2
        # "other": the rest of the values (categories unseen in the reference land here).
        rest = 1 - null
        other = (
            max(0.0, rest - mid.sum()),
            max(0.0, rest - hi.sum()),
            max(0.0, rest - lo.sum()),
        )
        return tuple(np.append(np.append(a, o), null) for a, o in zip((mid, lo, hi), other))

    p = masses(ref_top, ref_floor, ref_n, null_ref, keys)
    q = masses(cur_top, cur_floor, cur_n, null_cur, keys)
    unseen = [k for k in cur_top if k not in ref_top]
    info = {
        "categories": unseen[:20],
        "share": round(sum(cur_top[k][0] for k in unseen) / cur_n, 6),
        "reference_has_tail": bool(ref.get("other")),
    }
    return p, q, info


def _smooth(v) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    return np.where(a <= EPSILON, EPSILON, a)


def _psi_terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _smooth(a), _smooth(b)
    return (b - a) * np.log(b / a)


def _js_terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _smooth(a), _smooth(b)
    m = (a + b) / 2
    return 0.5 * a * np.log2(a / m) + 0.5 * b * np.log2(b / m)


def psi(p, q) -> float:
    """Population stability index of two binned distributions (bins ≤ ε count as ε)."""
    return float(np.sum(_psi_terms(np.asarray(p, float), np.asarray(q, float))))


def jensen_shannon(p, q) -> float:
    """Jensen–Shannon distance (base 2, 0…1) of two binned distributions."""
    div = float(np.sum(_js_terms(np.asarray(p, float), np.asarray(q, float))))
    return math.sqrt(max(div, 0.0))


def _interval(terms, p, q) -> tuple[float, float]:
    """Range of sum(terms(p_i, q_i)) over the boxes p_i ∈ [lo, hi], q_i ∈ [lo, hi].

    Both PSI's and JS's per-bin terms are 0 where p = q and grow with |q - p| along each
    axis, so a box's maximum is at a corner and its minimum is 0 if the box meets the diagonal,
    else the corner nearest to it.
    """
    (_, plo, phi), (_, qlo, qhi) = p, q
    corners = np.stack([terms(plo, qlo), terms(plo, qhi), terms(phi, qlo), terms(phi, qhi)], axis=0)
    above = qlo > phi  # current certainly larger than reference in this bin
    below = qhi < plo
    nearest = np.where(above, terms(phi, qlo), np.where(below, terms(plo, qhi), 0.0))
    return float(np.sum(nearest)), float(np.sum(corners.max(axis=0)))


def _binned(p, q) -> dict[str, tuple[float, float]]:
    """Scores with their bounds: ``{method: (score, bound)}``."""
    out = {}
    score = psi(p[0], q[0])
    lo, hi = _interval(_psi_terms, p, q)
    out["psi"] = (score, _pad(max(hi - score, score - lo, 0.0), score))
    score = jensen_shannon(p[0], q[0])
    lo, hi = _interval(_js_terms, p, q)
    lo, hi = math.sqrt(max(lo, 0.0)), math.sqrt(max(hi, 0.0))
    out["jensen_shannon"] = (score, _pad(max(hi - score, score - lo, 0.0), score))
    return out


def _wasserstein(ref: dict, cur: dict) -> tuple[float, float]:
    """W1 of the finite values, over the reference's standard deviation, and its bound.

    W1 = ∫ |F_ref(x) - F_cur(x)| dx, integrated exactly between the knots of both summaries
    (both estimates are linear there). The true CDFs lie in the summaries' envelopes, which are
    constant between knots, so the smallest and largest possible W1 are exact sums too.
    """
    a, b = numeric_summary(ref), numeric_summary(cur)
    grid = np.union1d(a.v, b.v)
    std = _std(ref)
    if std and std > 0:
        scale = std
    else:  # a constant reference column: measure against its magnitude instead
        scale = abs(float(ref["mean"])) or 1.0
    if grid.size < 2:
        return 0.0, 0.0
    left, right = grid[:-1], grid[1:]
    width = right - left
    d0 = a.cdf(left) - b.cdf(left)
    d1 = a.cdf(right, left=True) - b.cdf(right, left=True)
    same = d0 * d1 >= 0
    total = np.abs(d0) + np.abs(d1)
    area = np.where(
        same,
        total / 2,
        (d0 * d0 + d1 * d1) / (2 * np.where(total > 0, total, 1.0)),
    )
    est = float(np.sum(area * width))
    la, ua = a.envelope(left)
    lb, ub = b.envelope(left)
    low = float(np.sum(width * np.maximum.reduce([la - ub, lb - ua, np.zeros_like(la)])))
    high = float(np.sum(width * np.maximum(ua - lb, ub - la)))
    return est / scale, _pad(max(high - est, est - low, 0.0) / scale, est / scale)


def _pad(bound: float, score: float) -> float:
    # Floating-point rounding of sums over thousands of knots: an exact summary's bound is 0
    # in exact arithmetic, a few ulps here.
    return bound + 1e-9 * (1.0 + abs(score))
