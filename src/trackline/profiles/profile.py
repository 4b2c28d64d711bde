"""Compact, mergeable data profiles of tabular data: pandas, Polars and pyarrow, natively.

A profile is plain JSON stored with the artifact (``Artifact.profile``). Its size depends on the
number of columns, never on the number of rows:

* every column: ``count`` (non-null values), ``nulls``;
* numeric columns (ints, floats, datetimes as epoch seconds, durations as seconds): ``min``,
  ``max``, ``mean``, ``m2`` (sum of squared deviations, so variances merge exactly by Chan's
  parallel formulas), ``inf`` (infinite values, kept out of the moments; ``pos_inf`` and
  ``neg_inf`` split it) and ``sketch``: a rank-bounded quantile summary with dense tails
  (``sketch.py``) whose proven bounds become the error bound of every drift score;
* categorical columns (strings, booleans, categories, mixed objects): ``top`` (the ``TOP_K``
  most frequent values as ``[value, count, slack]``: the true count lies in
  ``[count, count + slack]``, slack 0 for one batch), ``floor`` (no value outside ``top`` occurs
  more often than this), ``other`` (count of everything else) and HyperLogLog registers with a
  ``distinct`` estimate.

Version 1 profiles (129 evenly spaced ``quantiles``, ``top`` pairs) are still read: see
``numeric_summary`` and ``top_bounds``. Modes: ``full`` and ``sampled`` both summarise every
value (sorting a column is cheap, and a sample would void the bounds); ``off`` skips
profiling. Profiles of batches merge (``merge_profiles``) into the profile of their union.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidInput
from . import hll, readers, sketch
from .columns import TOP_K

_READERS = {
    "pandas": readers.pandas_columns,
    "polars": readers.polars_columns,
    "pyarrow": readers.arrow_columns,
}
__all__ = [
    "TOP_K",
    "VERSION",
    "ProfileMode",
    "column_variance",
    "merge_profiles",
    "numeric_summary",
    "profile_cached",
    "profile_frame",
    "profile_path",
    "top_bounds",
]

VERSION = 2
ProfileMode = Literal["off", "sampled", "full"]
MODES = ("off", "sampled", "full")


def profile_frame(
    frame: Any, mode: ProfileMode = "full", sample_rows: int = 100_000
) -> dict[str, Any]:
    """The profile of a pandas DataFrame/Series, a Polars DataFrame/Series or a pyarrow Table
    or RecordBatch, read column by column in its own library (no conversion of the frame)."""
    if mode not in MODES or mode == "off":
        raise InvalidInput(f"profile mode must be 'sampled' or 'full' here, not {mode!r}")
    reader = _READERS.get(type(frame).__module__.split(".")[0])
    try:
        if reader is None:
            raise TypeError(type(frame).__name__)
        rows, cols = reader(frame)
    except TypeError as exc:
        raise InvalidInput(
            f"can only profile pandas, Polars or pyarrow tables (and Series), not {exc}"
        ) from None
    columns: dict[str, Any] = {}
    for i, (name, made) in enumerate(zip([c[0] for c in cols], _run([c[1] for c in cols], rows))):
        key = str(name)
        if key in columns:  # duplicated labels: keep them apart instead of overwriting
            key = f"{key}#{i}"
        columns[key] = made
    return {"version": VERSION, "rows": rows, "mode": mode, "columns": columns}


def _run(makers: list, rows: int) -> list[dict[str, Any]]:
    """Column profiles, on several cores for large frames: the sorts and value counts release
    the GIL, so threads give a near-linear speed-up without copying any data."""
    workers = min(len(makers), os.cpu_count() or 1, 8)
    if rows < 50_000 or workers < 2:
        return [make() for make in makers]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trackline-profile") as pool:
        return list(pool.map(lambda make: make(), makers))


def profile_path(
    path: Path, mode: ProfileMode = "full", sample_rows: int = 100_000
) -> dict[str, Any]:
    """The profile of a CSV/TSV/Parquet file (Parquet read with pyarrow, CSV with pandas)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return profile_frame(pq.read_table(path), mode, sample_rows)
    if suffix in (".csv", ".tsv"):
        import pandas as pd

        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        return profile_frame(frame, mode, sample_rows)
    raise InvalidInput(f"cannot profile {path.name}: only .csv, .tsv and .parquet files")


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
        "merged": sum(int(p.get("merged", 1)) for p in profiles),
    }


def _absent(rows: int) -> dict[str, Any]:
    return {"kind": "absent", "count": 0, "nulls": int(rows)}


def numeric_summary(col: dict[str, Any]) -> sketch.Summary:
    """The quantile summary of a numeric column profile (version 2 ``sketch`` or v1 knots)."""
    if "sketch" in col:
        return sketch.decode(col["sketch"])
    return sketch.from_legacy(col.get("quantiles") or [], int(col.get("count") or 0))


def _infs(col: dict[str, Any]) -> tuple[int, int]:
    if "pos_inf" in col:
        return int(col["pos_inf"]), int(col["neg_inf"])
    inf = int(col.get("inf", 0))  # version 1 kept only the total: split it evenly
    return inf - inf // 2, inf // 2


def _merge_numeric(parts: list[dict[str, Any]]) -> dict[str, Any]:
    present = [c for c in parts if c["kind"] == "numeric"]
    nulls = sum(int(c["nulls"]) for c in parts)
    infs = [_infs(c) for c in present]
    base = {
        "kind": "numeric",
        "dtype": present[0]["dtype"],
        "unit": present[0].get("unit", "number"),
        "nulls": nulls,
        "inf": sum(int(c.get("inf", 0)) for c in present),
        "pos_inf": sum(p for p, _ in infs),
        "neg_inf": sum(n for _, n in infs),
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
        sketch=sketch.encode(sketch.merge([numeric_summary(c) for c in valued])),
    )
    return base


def top_bounds(col: dict[str, Any]) -> tuple[dict[str, tuple[int, int]], int]:
    """``{value: (low, high)}`` bounds of the top values' counts, and the ``floor``: no value
    outside them occurs more than ``floor`` times. Version 1 pairs are read like one batch."""
    found = {
        str(t[0]): (int(t[1]), int(t[1]) + (int(t[2]) if len(t) > 2 else 0)) for t in col["top"]
    }
    if "floor" in col:
        floor = int(col["floor"])
    else:  # v1: a value outside the top occurs at most as often as the last top value
        floor = min((low for low, _ in found.values()), default=0) if col.get("other") else 0
    return found, floor


def _merge_categorical(parts: list[dict[str, Any]]) -> dict[str, Any]:
    present = [c for c in parts if c["kind"] == "categorical"]
    bounds = [top_bounds(c) for c in present]
    keys: dict[str, None] = {}
    for found, _ in bounds:
        keys.update(dict.fromkeys(found))
    totals: dict[str, list[int]] = {}
    for key in keys:
        low = high = 0
        for found, floor in bounds:
            lo_hi = found.get(key)
            if lo_hi is None:  # not in that part's top: anywhere from 0 to its floor
                high += floor
            else:
                low, high = low + lo_hi[0], high + lo_hi[1]
        totals[key] = [low, high]
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    floor = max(
        [sum(f for _, f in bounds)] + [hi for _, (_, hi) in ranked[TOP_K:]],
    )
    count = sum(int(c["count"]) for c in present)
    kept = ranked[:TOP_K]
    reg = hll.merge([hll.decode(c["hll"]) for c in present])
    distinct = max(int(round(hll.estimate(reg))), len(totals))
    return {
        "kind": "categorical",
        "dtype": present[0]["dtype"],
        "count": count,
        "nulls": sum(int(c["nulls"]) for c in parts),
        "top": [[k, lo, hi - lo] for k, (lo, hi) in kept],
        "floor": int(floor),
        "other": count - sum(lo for _, (lo, _) in kept),
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
