"""Profiles of Spark DataFrames where they live: one profile per partition, merged on the driver.

Each partition's Arrow batches are profiled on its executor (``mapInArrow``) and only the
profile — a few KB per column — travels to the driver, where ``merge_profiles`` (the same code
that merges daily windows) combines them. The rows are never collected.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidInput
from .profile import ProfileMode, merge_profiles, profile_frame

__all__ = ["profile_spark"]


def _partition_profiles(mode: str):
    def run(batches):
        import pyarrow as pa

        from trackline.profiles.profile import profile_frame as profile

        batches = list(batches)
        if not batches or not sum(b.num_rows for b in batches):
            return
        table = pa.Table.from_batches(batches)  # this partition only, already in memory
        yield pa.RecordBatch.from_pydict({"profile": [json.dumps(profile(table, mode))]})

    return run


def profile_spark(frame: Any, mode: ProfileMode = "full") -> dict[str, Any]:
    """The profile of a Spark DataFrame, computed per partition on the cluster."""
    try:
        from pyspark.sql import DataFrame
    except ImportError as exc:  # pragma: no cover - only without pyspark
        raise InvalidInput("profiling a Spark DataFrame needs pyspark") from exc
    if not isinstance(frame, DataFrame):
        raise InvalidInput(f"not a Spark DataFrame: {type(frame).__name__}")
    parts = frame.mapInArrow(_partition_profiles(mode), "profile string").collect()
    profiles = [json.loads(row["profile"]) for row in parts]
    if not profiles:  # no rows anywhere: the empty table's profile (columns, no values)
        return profile_frame(frame.limit(0).toArrow(), mode)
    merged = merge_profiles(profiles)
    merged["partitions"] = len(profiles)
    return merged
