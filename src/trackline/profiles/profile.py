"""Compact, mergeable data profiles of tabular artifacts (pandas frames, CSV/TSV/Parquet files).

A profile is plain JSON stored with the artifact (``Artifact.profile``). Its size depends on the
number of columns, never on the number of rows:

* every column: ``count`` (non-null values), ``nulls``;
* numeric columns (ints, floats, datetimes as epoch seconds, durations as seconds): ``min``,
  ``max``, ``mean``, ``m2`` (sum of squared deviations, so variances merge exactly by Chan's
  parallel formulas), ``inf`` (infinite values, kept out of the moments) and ``quantiles``
  (``sketch.KNOTS`` evenly spaced quantiles);
* categorical columns (strings, booleans, categories, mixed objects): ``top`` (the ``TOP_K``
  most frequent values with counts), ``other`` (count of everything else) and HyperLogLog
  registers with a ``distinct`` estimate.

Modes: ``full`` computes everything from all rows; ``sampled`` computes the numeric quantiles
from a seeded sample of ``sample_rows`` rows and everything else from all rows; ``off`` skips
profiling. Profiles of batches merge (``merge_profiles``) into the profile of their union.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import InvalidInput
from . import hll, sketch

__all__ = [
    "TOP_K",
    "VERSION",
    "ProfileMode",
    "column_variance",
    "merge_profiles",
    "profile_cached",
    "profile_frame",
    "profile_path",
]

VERSION = 1
TOP_K = 50
ProfileMode = Literal["off", "sampled", "full"]
MODES = ("off", "sampled", "full")


def profile_frame(
    frame: Any, mode: ProfileMode = "full", sample_rows: int = 100_000
) -> dict[str, Any]:
    """The profile of a pandas DataFrame or Series."""
    import pandas as pd

    if mode not in MODES or mode == "off":
        raise InvalidInput(f"profile mode must be 'sampled' or 'full' here, not {mode!r}")
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=str(frame.name))
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(
            f"can only profile pandas DataFrames and Series, not {type(frame).__name__}"
        )
    rows = len(frame)
    columns: dict[str, Any] = {}
    for i, name in enumerate(frame.columns):
        key = str(name)
        if key in columns:  # duplicated labels: keep them apart instead of overwriting
            key = f"{key}#{i}"
        columns[key] = _column(frame.iloc[:, i], mode, sample_rows)
    return {"version": VERSION, "rows": rows, "mode": mode, "columns": columns}


def profile_path(
    path: Path, mode: ProfileMode = "full", sample_rows: int = 100_000
) -> dict[str, Any]:
    """The profile of a CSV/TSV/Parquet file (read whole with pandas/pyarrow)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    elif suffix in (".csv", ".tsv"):
        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise InvalidInput(f"cannot profile {path.name}: only .csv, .tsv and .parquet files")
    return profile_frame(frame, mode, sample_rows)


_CACHE: OrderedDict[tuple[str, str, int], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 64


def profile_cached(digest: str, make, mode: ProfileMode, sample_rows: int) -> dict[str, Any]:
    """Profiles are a function of content: one frame passed to many tasks is profiled once."""
    key = (digest, mode, sample_rows)
    found = _CACHE.get(key)
    if found is None:
        found = make()
        _CACHE[key] = found
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


# -- one column ---------------------------------------------------------------------------
def _column(series: Any, mode: str, sample_rows: int) -> dict[str, Any]:
    import pandas as pd
    from pandas.api import types as pt

    dtype = str(series.dtype)
    if pt.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype):
        return _categorical(series, dtype)
    if pt.is_datetime64_any_dtype(series.dtype):
        mask = series.isna().to_numpy()
        ns = (
            series.dt.tz_convert("UTC").dt.tz_localize(None)
            if getattr(series.dt, "tz", None)
            else series
        )
        values = ns.to_numpy(dtype="datetime64[ns]")[~mask].astype(np.int64) / 1e9
        return _numeric(
            values, int(mask.sum()), dtype, "datetime", mode, sample_rows, str(series.name)
        )
    if pt.is_timedelta64_dtype(series.dtype):
        mask = series.isna().to_numpy()
        values = series.to_numpy(dtype="timedelta64[ns]")[~mask].astype(np.int64) / 1e9
        return _numeric(
            values, int(mask.sum()), dtype, "duration", mode, sample_rows, str(series.name)
        )
    if pt.is_numeric_dtype(series.dtype) and not pt.is_complex_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        mask = np.isnan(values)
        return _numeric(
            values[~mask], int(mask.sum()), dtype, "number", mode, sample_rows, str(series.name)
        )
    return _categorical(series, dtype)


def _numeric(
    values: np.ndarray, nulls: int, dtype: str, unit: str, mode: str, sample_rows: int, name: str
) -> dict[str, Any]:
    finite = np.isfinite(values)
    infs = int(values.size - np.count_nonzero(finite))
    if infs:
        values = values[finite]
    n = int(values.size)
    out: dict[str, Any] = {
        "kind": "numeric",
        "dtype": dtype,
        "unit": unit,
        "count": n,
        "nulls": nulls,
        "inf": infs,
    }
    if n == 0:
        out.update(min=None, max=None, mean=None, m2=0.0, quantiles=[])
        return out
    mean = float(values.mean())
    out.update(
        min=float(values.min()),
        max=float(values.max()),
        mean=mean,
        m2=float(np.square(values - mean).sum()),
    )
    if mode == "sampled" and n > sample_rows:
        seed = int.from_bytes(hashlib.sha256(f"{name}\0{n}".encode()).digest()[:8], "little")
        pick = np.random.default_rng(seed).integers(0, n, size=sample_rows)
        knots = sketch.build(values[pick])
        knots[0], knots[-1] = out["min"], out["max"]
        out["quantiles"] = knots
    else:
        out["quantiles"] = sketch.build(values)
    return out


def _categorical(series: Any, dtype: str) -> dict[str, Any]:
    import pandas as pd

    nulls = int(series.isna().sum())
    counts = series.value_counts(dropna=True, sort=True)
    counts = counts[counts > 0]
    values = counts.to_numpy(dtype=np.int64)
    if pd.api.types.is_bool_dtype(counts.index.dtype):
        keys = np.array([_key(v) for v in counts.index], dtype=object)
    else:
        keys = counts.index.astype(str).to_numpy(dtype=object)
    top = [[str(k), int(c)] for k, c in zip(keys[:TOP_K], values[:TOP_K])]
    # Registers of the distinct values: the same as of all values, at a fraction of the cost.
    hashes = pd.util.hash_array(keys, categorize=False) if keys.size else np.zeros(0, np.uint64)
    reg = hll.registers(hashes)
    return {
        "kind": "categorical",
        "dtype": dtype,
        "count": int(values.sum()),
        "nulls": nulls,
        "top": top,
        "other": int(values[TOP_K:].sum()),
        "hll": hll.encode(reg),
        "distinct": int(keys.size),
    }


def _key(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


# -- merging ------------------------------------------------------------------------------
def merge_profiles(profiles: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The profile of the union of the profiled batches (no raw data needed)."""
    profiles = [p for p in profiles if p]
    if not profiles:
        raise InvalidInput("nothing to merge: no profiles given")
    if len(profiles) == 1:
        return profiles[0]
    names: list[str] = []
    for p in profiles:
        names.extend(c for c in p["columns"] if c not in names)
    columns = {}
    for name in names:
        parts = [p["columns"].get(name) or _absent(p["rows"]) for p in profiles]
        kinds = {c["kind"] for c in parts if c["kind"] != "absent"}
        if len(kinds) > 1:
            raise InvalidInput(
                f"column {name!r} is numeric in some profiles and categorical in others"
            )
        kind = kinds.pop() if kinds else "absent"
        if kind == "numeric":
            columns[name] = _merge_numeric(parts)
        elif kind == "categorical":
            columns[name] = _merge_categorical(parts)
        else:
            columns[name] = _absent(sum(p["rows"] for p in profiles))
    modes = {p.get("mode", "full") for p in profiles}
    return {
        "version": VERSION,
        "rows": sum(int(p["rows"]) for p in profiles),
        "mode": modes.pop() if len(modes) == 1 else "sampled",
        "columns": columns,
        "merged": len(profiles),
    }


def _absent(rows: int) -> dict[str, Any]:
    return {"kind": "absent", "count": 0, "nulls": int(rows)}


def _merge_numeric(parts: list[dict[str, Any]]) -> dict[str, Any]:
    present = [c for c in parts if c["kind"] == "numeric"]
    nulls = sum(int(c["nulls"]) for c in parts)
    base = {
        "kind": "numeric",
        "dtype": present[0]["dtype"],
        "unit": present[0].get("unit", "number"),
        "nulls": nulls,
        "inf": sum(int(c.get("inf", 0)) for c in present),
    }
    n, mean, m2 = 0, 0.0, 0.0
    for c in present:  # Chan, Golub & LeVeque's pairwise update
        nb = int(c["count"])
        if nb == 0:
            continue
        delta = float(c["mean"]) - mean
        total = n + nb
        mean += delta * nb / total
        m2 += float(c["m2"]) + delta * delta * n * nb / total
        n = total
    valued = [c for c in present if c["count"]]
    base.update(
        count=n,
        min=min((c["min"] for c in valued), default=None),
        max=max((c["max"] for c in valued), default=None),
        mean=mean if n else None,
        m2=m2,
        quantiles=sketch.merge([c["quantiles"] for c in valued], [c["count"] for c in valued]),
    )
    return base


def _merge_categorical(parts: list[dict[str, Any]]) -> dict[str, Any]:
    present = [c for c in parts if c["kind"] == "categorical"]
    totals: dict[str, int] = {}
    for c in present:
        for key, count in c["top"]:
            totals[key] = totals.get(key, 0) + int(count)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    other = sum(int(c["other"]) for c in present) + sum(v for _, v in ranked[TOP_K:])
    reg = hll.merge([hll.decode(c["hll"]) for c in present])
    distinct = max(int(round(hll.estimate(reg))), len(totals))
    return {
        "kind": "categorical",
        "dtype": present[0]["dtype"],
        "count": sum(int(c["count"]) for c in present),
        "nulls": sum(int(c["nulls"]) for c in parts),
        "top": [[k, v] for k, v in ranked[:TOP_K]],
        "other": other,
        "hll": hll.encode(reg),
        "distinct": distinct,
    }


def column_variance(col: dict[str, Any]) -> float | None:
    """Sample variance of a numeric column profile (``None`` below two values)."""
    n = int(col.get("count") or 0)
    return float(col["m2"]) / (n - 1) if n > 1 else None


def profile_artifact(
    art: Any, mode: str, sample_rows: int, *, value: Any = None, path: Path | None = None
) -> None:
    """Set ``art.profile`` for a frame or tabular file (the hook ``capture.artifacts`` calls)."""
    if mode == "off" or (value is None and path is None):
        return
    if mode not in MODES:
        raise InvalidInput(f"profile mode must be one of {', '.join(MODES)}, not {mode!r}")
    if value is not None:
        art.profile = profile_cached(
            art.digest, lambda: profile_frame(value, mode, sample_rows), mode, sample_rows
        )
    else:
        art.profile = profile_cached(
            art.digest, lambda: profile_path(Path(path), mode, sample_rows), mode, sample_rows
        )
