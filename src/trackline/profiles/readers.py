"""Column readers of pandas, Polars and pyarrow tables, each in its own library.

Each returns ``(rows, [(name, make_column_profile), ...])``; nothing converts a whole frame to
another library. Numeric columns become float64 arrays (datetimes as epoch seconds, durations
as seconds), everything else distinct keys with counts, computed by the library itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import columns

__all__ = ["arrow_columns", "pandas_columns", "polars_columns"]

Columns = tuple[int, list[tuple[str, Callable[[], dict[str, Any]]]]]


# -- pandas -------------------------------------------------------------------------------
def pandas_columns(frame: Any) -> Columns:
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=str(frame.name))
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(type(frame).__name__)
    out = [
        (str(name), lambda s=frame.iloc[:, i]: _pandas_column(s))
        for i, name in enumerate(frame.columns)
    ]
    return len(frame), out


def _pandas_column(series: Any) -> dict[str, Any]:
    import pandas as pd
    from pandas.api import types as pt

    dtype = str(series.dtype)
    if pt.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype):
        return _pandas_categorical(series, dtype)
    if pt.is_datetime64_any_dtype(series.dtype):
        mask = series.isna().to_numpy()
        ns = (
            series.dt.tz_convert("UTC").dt.tz_localize(None)
            if getattr(series.dt, "tz", None)
            else series
        )
        values = ns.to_numpy(dtype="datetime64[ns]")[~mask].astype(np.int64) / 1e9
        return columns.numeric(values, int(mask.sum()), dtype, "datetime")
    if pt.is_timedelta64_dtype(series.dtype):
        mask = series.isna().to_numpy()
        values = series.to_numpy(dtype="timedelta64[ns]")[~mask].astype(np.int64) / 1e9
        return columns.numeric(values, int(mask.sum()), dtype, "duration")
    if pt.is_numeric_dtype(series.dtype) and not pt.is_complex_dtype(series.dtype):
        return columns.numeric(
            series.to_numpy(dtype=np.float64, na_value=np.nan), 0, dtype, "number"
        )
    return _pandas_categorical(series, dtype)


def _pandas_categorical(series: Any, dtype: str) -> dict[str, Any]:
    import pandas as pd

    counts = series.value_counts(dropna=True, sort=False)
    if pd.api.types.is_bool_dtype(counts.index.dtype):
        keys = np.array([_bool_key(v) for v in counts.index], dtype=object)
    else:
        keys = counts.index.astype(str).to_numpy(dtype=object)
    return columns.categorical(
        keys, counts.to_numpy(dtype=np.int64), int(series.isna().sum()), dtype
    )


def _bool_key(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


# -- Polars -------------------------------------------------------------------------------
def polars_columns(frame: Any) -> Columns:
    import polars as pl

    if isinstance(frame, pl.Series):
        frame = frame.to_frame()
    if isinstance(frame, pl.LazyFrame):
        raise TypeError("a LazyFrame: collect() it (or profile per batch and merge)")
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(type(frame).__name__)
    out = [(name, lambda s=frame.get_column(name): _polars_column(s)) for name in frame.columns]
    return frame.height, out


def _polars_column(s: Any) -> dict[str, Any]:
    import polars as pl

    dt, dtype = s.dtype, str(s.dtype)
    nulls = s.null_count()
    present = s.drop_nulls()
    if dt == pl.Boolean:
        pass
    elif dt.is_numeric() and not dt.is_decimal():
        return columns.numeric(present.cast(pl.Float64).to_numpy(), nulls, dtype, "number")
    elif dt.is_decimal():
        return columns.numeric(present.cast(pl.Float64).to_numpy(), nulls, dtype, "number")
    elif isinstance(dt, pl.Datetime):
        seconds = present.dt.epoch("us").cast(pl.Float64).to_numpy() / 1e6
        return columns.numeric(seconds, nulls, dtype, "datetime")
    elif dt == pl.Date:
        seconds = present.cast(pl.Int64).cast(pl.Float64).to_numpy() * 86400.0
        return columns.numeric(seconds, nulls, dtype, "datetime")
    elif isinstance(dt, pl.Duration):
        seconds = present.dt.total_microseconds().cast(pl.Float64).to_numpy() / 1e6
        return columns.numeric(seconds, nulls, dtype, "duration")
    counts = present.cast(pl.String).value_counts(sort=False, name="__count")
    keys = counts.get_column(counts.columns[0]).to_numpy().astype(object)
    return columns.categorical(keys, counts.get_column("__count").to_numpy(), nulls, dtype)


# -- pyarrow ------------------------------------------------------------------------------
_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def arrow_columns(table: Any) -> Columns:
    import pyarrow as pa

    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        raise TypeError(type(table).__name__)
    out = [
        (name, lambda c=table.column(i): _arrow_column(c))
        for i, name in enumerate(table.column_names)
    ]
    return table.num_rows, out


def _arrow_column(col: Any) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    t, dtype = col.type, str(col.type)
    nulls = col.null_count
    if pa.types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    present = pc.drop_null(col)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return columns.numeric(_floats(present.cast(pa.float64())), nulls, dtype, "number")
    if pa.types.is_timestamp(t) or pa.types.is_duration(t):
        raw = _floats(present.cast(pa.int64()).cast(pa.float64())) / _UNITS[t.unit]
        unit = "datetime" if pa.types.is_timestamp(t) else "duration"
        return columns.numeric(raw, nulls, dtype, unit)
    if pa.types.is_date(t):
        days = present.cast(pa.date32()).cast(pa.int32()).cast(pa.float64())
        return columns.numeric(_floats(days) * 86400.0, nulls, dtype, "datetime")
    counts = pc.value_counts(present)
    if isinstance(counts, pa.ChunkedArray):
        counts = counts.combine_chunks()
    keys = counts.field("values").cast(pa.string()).to_numpy(zero_copy_only=False).astype(object)
    return columns.categorical(keys, counts.field("counts").to_numpy(), nulls, dtype)


def _floats(chunked: Any) -> np.ndarray:
    # One contiguous float64 array (one chunk: a view of Arrow's buffer, no copy).
    if hasattr(chunked, "num_chunks") and chunked.num_chunks == 1:
        return chunked.chunk(0).to_numpy(zero_copy_only=False)
    return chunked.to_numpy()
