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
from ..profiles import sketch
from ..profiles.profile import column_variance

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EPSILON",
    "ColumnDrift",
    "ColumnThreshold",
    "DriftConfig",
    "compare",
]

EPSILON = 1e-4
Method = Literal["psi", "jensen_shannon", "wasserstein"]
NUMERIC_METHODS = ("psi", "jensen_shannon", "wasserstein")
CATEGORICAL_METHODS = ("psi", "jensen_shannon")
DEFAULT_THRESHOLDS: dict[str, float] = {
    "psi": 0.2,
    "jensen_shannon": 0.1,
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
            threshold=thr,
            drifted=bool(ref_rows and cur_rows and score > thr),
            scores={"missing": score},
            detail=detail,
        )
    if kind == "numeric":
        p, q = _numeric_bins(ref, cur, null_ref, null_cur, cfg.bins)
        scores = {
            "psi": _psi(p, q),
            "jensen_shannon": _js(p, q),
            "wasserstein": _wasserstein(ref, cur),
        }
        detail.update(
            mean=[ref["mean"], cur["mean"]],
            std=[_std(ref), _std(cur)],
            min=[ref["min"], cur["min"]],
            max=[ref["max"], cur["max"]],
        )
    else:
        p, q, unseen = _categorical_bins(ref, cur, null_ref, null_cur)
        scores = {"psi": _psi(p, q), "jensen_shannon": _js(p, q)}
        detail.update(unseen=unseen, distinct=[ref.get("distinct"), cur.get("distinct")])
    detail["bins"] = {"reference": [round(v, 6) for v in p], "current": [round(v, 6) for v in q]}
    score = scores[method]
    thr = cfg.threshold(method, name)
    missing, missing_thr = abs(null_cur - null_ref), cfg.threshold("missing", name)
    scores["missing"] = missing
    if not (score is not None and score > thr) and missing > missing_thr:
        # The values still look alike, but far more (or fewer) of them are missing.
        method, score, thr = "missing", missing, missing_thr
    return ColumnDrift(
        column=name,
        kind=kind,
        method=method,
        score=score,
        threshold=thr,
        drifted=bool(score is not None and score > thr),
        scores=scores,
        detail=detail,
    )


def _null_share(col: dict, rows: int) -> float:
    return float(col.get("nulls", 0)) / rows if rows else 0.0


def _std(col: dict) -> float | None:
    var = column_variance(col)
    return math.sqrt(var) if var is not None else None


def _numeric_bins(ref: dict, cur: dict, null_ref: float, null_cur: float, bins: int):
    probs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges = np.unique(sketch.quantile(ref["quantiles"], probs))

    def masses(col: dict, null_share: float) -> list[float]:
        inner = sketch.cdf(col["quantiles"], edges)
        cum = np.concatenate([[0.0], inner, [1.0]])
        return list(np.diff(cum) * (1.0 - null_share))

    p, q = masses(ref, null_ref), masses(cur, null_cur)
    if null_ref > 0 or null_cur > 0:
        p.append(null_ref)
        q.append(null_cur)
    return p, q


def _categorical_bins(ref: dict, cur: dict, null_ref: float, null_cur: float):
    ref_top = {k: c for k, c in ref["top"]}
    cur_top = {k: c for k, c in cur["top"]}
    ref_n, cur_n = max(int(ref["count"]), 1), max(int(cur["count"]), 1)
    keys = list(ref_top)
    p = [ref_top[k] / ref_n * (1 - null_ref) for k in keys]
    q = [cur_top.get(k, 0) / cur_n * (1 - null_cur) for k in keys]
    # "other": the reference's tail, and in current everything not among the reference's top
    # values — categories unseen in the reference land here.
    p.append(max(0.0, (1 - null_ref) - sum(p)))
    q.append(max(0.0, (1 - null_cur) - sum(q)))
    p.append(null_ref)
    q.append(null_cur)
    unseen = [k for k in cur_top if k not in ref_top]
    info = {
        "categories": unseen[:20],
        "share": round(sum(cur_top[k] for k in unseen) / cur_n, 6),
        "reference_has_tail": bool(ref.get("other")),
    }
    return p, q, info


def _smooth(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    a = np.where(a <= 0, EPSILON, a)
    return a / a.sum()


def _psi(p: list[float], q: list[float]) -> float:
    a, b = _smooth(p), _smooth(q)
    return float(np.sum((b - a) * np.log(b / a)))


def _js(p: list[float], q: list[float]) -> float:
    a, b = _smooth(p), _smooth(q)
    m = (a + b) / 2
    div = 0.5 * np.sum(a * np.log2(a / m)) + 0.5 * np.sum(b * np.log2(b / m))
    return float(math.sqrt(max(div, 0.0)))


def _wasserstein(ref: dict, cur: dict, points: int = 1000) -> float | None:
    grid = (np.arange(points) + 0.5) / points
    distance = float(
        np.mean(
            np.abs(
                sketch.quantile(ref["quantiles"], grid) - sketch.quantile(cur["quantiles"], grid)
            )
        )
    )
    std = _std(ref)
    if std and std > 0:
        scale = std
    else:  # a constant reference column: measure against its magnitude instead
        scale = abs(float(ref["mean"])) or 1.0
    return distance / scale
