"""One column's profile from plain arrays: the part every table library shares.

Readers (``readers.py``) turn a pandas, Polars or pyarrow column into either finite-or-not
float64 values (numeric) or distinct keys with counts (categorical); this module summarises them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import hll, sketch

__all__ = ["TOP_K", "categorical", "numeric"]

TOP_K = 50


def numeric(values: np.ndarray, nulls: int, dtype: str, unit: str) -> dict[str, Any]:
    """``values``: the non-null values as float64 (NaN counts as null, ±inf is kept apart)."""
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    if nan.any():
        nulls += int(nan.sum())
        values = values[~nan]
    finite = np.isfinite(values)
    pos_inf = neg_inf = 0
    if not finite.all():
        pos_inf = int(np.count_nonzero(values == np.inf))
        neg_inf = int(np.count_nonzero(values == -np.inf))
        values = values[finite]
    n = int(values.size)
    out: dict[str, Any] = {
        "kind": "numeric",
        "dtype": dtype,
        "unit": unit,
        "count": n,
        "nulls": int(nulls),
        "inf": pos_inf + neg_inf,
        "pos_inf": pos_inf,
        "neg_inf": neg_inf,
    }
    if n == 0:
        out.update(
            min=None, max=None, mean=None, m2=0.0, sketch=sketch.encode(sketch.build(values))
        )
        return out
    with np.errstate(over="ignore"):  # past float range the profile is left out (capture)
        mean = float(values.mean())
        m2 = float(np.square(values - mean).sum())
    out.update(
        min=float(values.min()),
        max=float(values.max()),
        mean=mean,
        m2=m2,
        sketch=sketch.encode(sketch.build(values)),
    )
    return out


def categorical(keys: np.ndarray, counts: np.ndarray, nulls: int, dtype: str) -> dict[str, Any]:
    """``keys``: the distinct non-null values as strings; ``counts``: how often each occurs."""
    counts = np.asarray(counts, dtype=np.int64)
    keep = counts > 0
    keys, counts = np.asarray(keys, dtype=object)[keep], counts[keep]
    order = np.argsort(-counts, kind="stable")
    keys, counts = keys[order], counts[order]
    top = [[str(k), int(c), 0] for k, c in zip(keys[:TOP_K], counts[:TOP_K])]
    # Registers of the distinct values: the same as of all values, at a fraction of the cost.
    hashes = _hash(keys) if keys.size else np.zeros(0, np.uint64)
    return {
        "kind": "categorical",
        "dtype": dtype,
        "count": int(counts.sum()),
        "nulls": int(nulls),
        "top": top,
        "floor": int(counts[TOP_K]) if counts.size > TOP_K else 0,
        "other": int(counts[TOP_K:].sum()),
        "hll": hll.encode(hll.registers(hashes)),
        "distinct": int(keys.size),
    }


def _hash(keys: np.ndarray) -> np.ndarray:
    # pandas' seed-fixed SipHash: registers from any library and any process merge.
    from pandas.util import hash_array

    return hash_array(keys.astype(object), categorize=False)
