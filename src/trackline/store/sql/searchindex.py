"""What the search reads, maintained on write: typed param values and the latest metric values.

``typed_param`` splits a param's JSON value into the column its type compares in (number,
string, boolean), so ``params.lr > 0.01`` is an indexed range scan and a string ``"0.1"`` never
equals the number ``0.1``. ``latest_rows`` folds a run's metric history into one row per key:
the last value (highest step, then newest timestamp), min and max — idempotent, so replays and
merges may apply it again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .tables import MetricLatestRow, MetricRow

__all__ = ["PARAM_TEXT_MAX", "latest_rows", "refresh_latest", "typed_param"]

# Longer strings are kept in ``value`` but not searchable by value: btree index entries are
# bounded (PostgreSQL refuses rows over ~2.7 kB), and a key with megabyte values is no filter.
PARAM_TEXT_MAX = 512

T_LATEST = MetricLatestRow.__table__
T_METRICS = MetricRow.__table__


def typed_param(value: Any) -> tuple[float | None, str | None, bool | None]:
    """``(num_value, str_value, bool_value)`` of one param value."""
    if isinstance(value, bool):
        return None, None, value
    if isinstance(value, (int, float)):
        f = float(value)
        return (f if math.isfinite(f) else None), None, None
    if isinstance(value, str):
        return None, (value if len(value) <= PARAM_TEXT_MAX else None), None
    if value is None:
        return None, None, None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return None, (text if len(text) <= PARAM_TEXT_MAX else None), None


def _order(step: int | None, ts: datetime | None, mid: str | None) -> tuple:
    return (-1 if step is None else step, ts.timestamp() if ts else 0.0, mid or "")


def latest_rows(
    run_id: str, metrics: Iterable[tuple[str, float | None, int | None, datetime | None, Any]]
) -> list[dict[str, Any]]:
    """One ``metric_latest`` row per key of ``(key, value, step, timestamp, id)`` tuples."""
    best: dict[str, dict[str, Any]] = {}
    for key, value, step, ts, mid in metrics:
        v = None if value is None or value != value else float(value)
        cur = best.get(key)
        if cur is None:
            best[key] = {
                "task_run_id": run_id,
                "key": key,
                "value": v,
                "step": step,
                "timestamp": ts,
                "min_value": v,
                "max_value": v,
                "_o": _order(step, ts, mid),
            }
            continue
        order = _order(step, ts, mid)
        if order >= cur["_o"]:
            cur.update(value=v, step=step, timestamp=ts, _o=order)
        if v is not None:
            cur["min_value"] = v if cur["min_value"] is None else min(cur["min_value"], v)
            cur["max_value"] = v if cur["max_value"] is None else max(cur["max_value"], v)
    for row in best.values():
        row.pop("_o")
    return list(best.values())


def refresh_latest(conn: sa.Connection, run_id: str, keys: Sequence[str]) -> None:
    """Recompute the latest rows of ``keys`` of one run from its whole metric history (merges)."""
    keys = sorted(set(keys))
    if not keys:
        return
    m = T_METRICS
    history = conn.execute(
        sa.select(m.c.key, m.c.value, m.c.step, m.c.timestamp, m.c.id).where(
            m.c.task_run_id == run_id, m.c.key.in_(keys)
        )
    ).all()
    rows = latest_rows(run_id, [tuple(r) for r in history])
    conn.execute(
        sa.delete(T_LATEST).where(T_LATEST.c.task_run_id == run_id, T_LATEST.c.key.in_(keys))
    )
    if rows:
        conn.execute(sa.insert(T_LATEST), rows)
