"""Rank-bounded quantile summaries with dense tails: every knot carries proven rank bounds.

A summary of ``n`` finite values is a list of knots ``v`` (ascending, distinct) with two integer
bounds each: ``lo[i] <= #{x <= v[i]}`` and ``hi[i] >= #{x < v[i]}``. So for any ``x`` in
``[v[i], v[i+1])`` the true count of values ``<= x`` lies in ``[lo[i], hi[i+1]]``: the summary
knows the CDF everywhere up to that envelope, and every score computed from it inherits a bound
(``monitoring/drift.py``). Nothing is estimated from a sample: the bounds are deterministic.

Which knots: the exact order statistics at ranks ``0, n/M, 2n/M, …`` (``MIDDLE`` = M evenly spaced
ranks: rank gap ≤ 1/M in the body) plus geometrically spaced ranks towards both ends (rank gap ≤
``GROWTH`` × the distance to the nearer end, so the few largest values are kept exactly). Evenly
spaced knots alone put 1/M of the mass on a segment ending at the maximum, which is where
heavy-tailed columns (incomes, prices) went wrong. Columns with at most ``MAX_KNOTS`` distinct
values are kept exactly.

Merging (a reference window from daily profiles, Spark partitions on a driver): the union's
bounds are sums of the parts' bounds (``lo`` of a part at ``u``: its largest knot ``<= u``;
``hi``: its smallest knot ``>= u``), then knots are thinned to the same plan. The bounds stay
valid through any number of merges; their gaps grow by about one plan spacing per merge level,
and the drift bound grows with them — visibly, never silently.

Why not a randomized sketch (KLL, in Apache DataSketches): its rank error is additive and the
same at every rank, so a Wasserstein bound derived from it scales with the range of the data —
useless on heavy tails (see ``benchmarks/sketch_accuracy.py`` for the measurement).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GROWTH",
    "MAX_KNOTS",
    "MIDDLE",
    "Summary",
    "build",
    "decode",
    "encode",
    "from_legacy",
    "merge",
]

MIDDLE = 256  # evenly spaced body knots: rank gap ≤ 1/256 of the values
GROWTH = 1 / 16  # tail knots: rank gap ≤ 6.25 % of the distance to the nearer end
MAX_KNOTS = 1024  # columns with at most this many distinct values are summarised exactly


@dataclass(frozen=True)
class Summary:
    n: int
    v: np.ndarray  # float64, ascending, distinct
    lo: np.ndarray  # int64: lower bound of #{x <= v}
    hi: np.ndarray  # int64: upper bound of #{x < v}

    @property
    def exact(self) -> bool:
        """True when the bounds pin every count (every distinct value is a knot)."""
        return bool(self.v.size == 0 or np.all(self.hi[1:] == self.lo[:-1]))

    # -- the CDF estimate: linear between knots, inside the envelope everywhere -------------
    def _ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Estimated counts just left of and at each knot (a jump = a point mass)."""
        mid = (self.lo + self.hi) / 2.0
        return np.minimum(self.hi, mid), np.maximum(self.lo, mid)

    def cdf(self, x: np.ndarray, left: bool = False) -> np.ndarray:
        """Estimated P(X <= x) (``left``: P(X < x), the limit from the left)."""
        x = np.asarray(x, dtype=float)
        if self.n == 0:
            return np.zeros_like(x)
        before, at = self._ends()
        i = np.searchsorted(self.v, x, side="left" if left else "right") - 1
        last = self.v.size - 1
        j = np.clip(i, 0, max(last - 1, 0))
        if last == 0:
            return np.where(i >= 0, 1.0, 0.0)
        width = self.v[j + 1] - self.v[j]
        frac = np.clip((x - self.v[j]) / width, 0.0, 1.0)
        inner = at[j] + (before[j + 1] - at[j]) * frac
        out = np.where(i < 0, 0.0, np.where(i >= last, float(self.n), inner))
        return out / self.n

    def envelope(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Proven bounds of the true P(X <= x)."""
        x = np.asarray(x, dtype=float)
        if self.n == 0:
            return np.zeros_like(x), np.zeros_like(x)
        i = np.searchsorted(self.v, x, side="right") - 1
        last = self.v.size - 1
        j = np.clip(i, 0, last)
        nxt = np.clip(i + 1, 0, last)
        low = np.where(i < 0, 0, self.lo[j])
        high = np.where(i < 0, 0, np.where(i >= last, self.n, self.hi[nxt]))
        return low / self.n, high / self.n

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """The estimated CDF as a polyline (x repeated at point masses), for quantiles."""
        before, at = self._ends()
        xs = np.repeat(self.v, 2)
        ps = np.empty(xs.size)
        ps[0::2], ps[1::2] = before / self.n, at / self.n
        return xs, np.maximum.accumulate(ps)

    def quantile(self, p: np.ndarray) -> np.ndarray:
        xs, ps = self.curve()
        return np.interp(np.asarray(p, dtype=float), ps, xs)


def _plan(n: int) -> np.ndarray:
    """0-based ranks to keep for ``n`` values: even body spacing plus geometric tails."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    body = np.round(np.linspace(0, n - 1, MIDDLE + 1)).astype(np.int64)
    edge = n / (GROWTH * MIDDLE)  # beyond this rank the even spacing is the finer one
    steps = np.arange(int(np.ceil(np.log(max(edge, 1.0)) / np.log1p(GROWTH))) + 2)
    tail = np.unique(np.floor(np.power(1.0 + GROWTH, steps)).astype(np.int64) - 1)
    tail = tail[tail < min(edge, n)]
    return np.unique(np.concatenate([body, tail, n - 1 - tail]).clip(0, n - 1))


def build(values: np.ndarray) -> Summary:
    """The summary of finite ``values`` (any order)."""
    s = np.sort(np.asarray(values, dtype=np.float64), kind="quicksort")
    n = int(s.size)
    if n == 0:
        return Summary(0, np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    if starts.size <= MAX_KNOTS:  # few distinct values: keep them all, exactly
        v = s[starts]
        hi = starts.astype(np.int64)
        lo = np.concatenate([starts[1:], [n]]).astype(np.int64)
        return Summary(n, v, lo, hi)
    v = np.unique(s[_plan(n)])
    lo = np.searchsorted(s, v, side="right").astype(np.int64)
    hi = np.searchsorted(s, v, side="left").astype(np.int64)
    return Summary(n, v, lo, hi)


def merge(parts: Sequence[Summary]) -> Summary:
    """The summary of the union of the summarised batches, with valid (summed) bounds."""
    parts = [p for p in parts if p.n > 0]
    if not parts:
        return build(np.zeros(0))
    if len(parts) == 1:
        return parts[0]
    # Each part's lo at u (its largest knot <= u) and hi at u (its smallest knot >= u, else its
    # n) are step functions of u; their sums are cumulative sums over all parts' knots.
    values = np.concatenate([p.v for p in parts])
    lo_steps = np.concatenate([np.diff(p.lo, prepend=0) for p in parts])
    hi_steps = np.concatenate([np.diff(np.append(p.hi, p.n)) for p in parts])
    order = np.argsort(values, kind="stable")
    values = values[order]
    lo_sum = np.cumsum(lo_steps[order])
    hi_sum = np.concatenate([[0], np.cumsum(hi_steps[order])])
    u = np.unique(values)
    lo = lo_sum[np.searchsorted(values, u, side="right") - 1]
    hi = sum(int(p.hi[0]) for p in parts) + hi_sum[np.searchsorted(values, u, side="left")]
    n = sum(p.n for p in parts)
    if u.size > MAX_KNOTS:
        # Thin to the plan: for each planned rank, the last knot known to start at or before it.
        keep = np.searchsorted(hi, _plan(n), side="right") - 1
        keep = np.unique(np.concatenate([[0, u.size - 1], keep.clip(0, u.size - 1)]))
        u, lo, hi = u[keep], lo[keep], hi[keep]
    return Summary(n, u, lo, hi)


def from_legacy(knots: Sequence[float], n: int) -> Summary:
    """A version-1 profile's 129 evenly spaced quantiles, read as knots of one exact batch.

    Knot ``j`` interpolated ranks ``j (n-1) / 128``: its value has at least ``floor(.)+1``
    values at or below it and at most ``ceil(.)`` below it. (For v1 profiles that were already
    merges this understates the error by up to one knot interval.)
    """
    k = np.asarray(knots, dtype=float)
    if k.size == 0 or n <= 0:
        return build(np.zeros(0))
    pos = np.linspace(0.0, n - 1, k.size)
    lo_j = np.floor(pos).astype(np.int64) + 1
    hi_j = np.ceil(pos).astype(np.int64)
    v, inverse = np.unique(k, return_inverse=True)
    lo = np.zeros(v.size, dtype=np.int64)
    hi = np.full(v.size, n, dtype=np.int64)
    np.maximum.at(lo, inverse, lo_j)
    np.minimum.at(hi, inverse, hi_j)
    lo[-1], hi[0] = n, 0
    return Summary(int(n), v, lo, hi)


def _pack(a: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(a.tobytes(), 6)).decode("ascii")


def _unpack(text: str, dtype) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=dtype).copy()


def encode(s: Summary) -> dict:
    """JSON form: values as float64 and rank bounds as int64 deltas, zlib + base64."""
    return {
        "n": s.n,
        "knots": int(s.v.size),
        "v": _pack(s.v.astype("<f8")),
        "lo": _pack(np.diff(s.lo, prepend=0).astype("<i8")),
        "hi": _pack(np.diff(s.hi, prepend=0).astype("<i8")),
    }


def decode(data: dict) -> Summary:
    v = _unpack(data["v"], "<f8")
    lo = np.cumsum(_unpack(data["lo"], "<i8"))
    hi = np.cumsum(_unpack(data["hi"], "<i8"))
    return Summary(int(data["n"]), v, lo.astype(np.int64), hi.astype(np.int64))
