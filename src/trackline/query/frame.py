"""A search result as a pandas DataFrame: one column per requested field, typed by its values."""

from __future__ import annotations

from typing import Any

from .fields import Scope
from .parser import parse_columns
from .spec import SearchResult, row_value

__all__ = ["to_frame"]

_BASE = {
    "runs": [
        "id",
        "name",
        "pipeline",
        "pipeline_run_id",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
    ],
    "pipelines": ["id", "pipeline", "status", "started_at", "ended_at", "duration_s"],
}


def _dtype(values: list[Any], label: str) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "float64" if label.startswith("metrics.") else "object"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Int64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float64"
    if all(isinstance(v, str) for v in present):
        return "string"
    return "object"


def to_frame(result: SearchResult):
    """``result`` as a DataFrame (needs pandas); grouped results keep their columns as is."""
    import pandas as pd

    scope: Scope = result.scope
    if result.grouped:
        return pd.DataFrame(result.rows, columns=result.columns)
    fields = {f.text: f for f in parse_columns(result.columns, scope)} if result.columns else {}
    base = _BASE[scope]
    labels = base + [c for c in result.columns if c not in base]
    data: dict[str, list[Any]] = {
        label: [row_value(r, label, fields) for r in result.rows] for label in labels
    }
    frame = pd.DataFrame({k: pd.Series(v, dtype="object") for k, v in data.items()})
    for label in labels:
        if label in ("started_at", "ended_at"):
            frame[label] = pd.to_datetime(frame[label], utc=True, format="ISO8601")
        elif label not in ("id", "name", "pipeline", "pipeline_run_id", "status"):
            frame[label] = frame[label].astype(_dtype(data[label], label))
        else:
            frame[label] = frame[label].astype("string")
    return frame
