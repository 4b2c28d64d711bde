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
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...model.runs import MetricSeries, point_id, point_time
from .dialect import chunks, utc
from .series import series_rows
from .tables import MetricLatestRow, MetricRow

__all__ = [
    "PARAM_TEXT_MAX",
    "latest_rows",
    "latest_tuples",
    "refresh_latest",
    "typed_param",
]

# Longer strings (in UTF-8 bytes) are kept in ``value`` but not searchable by value: btree index
# entries are bounded (PostgreSQL refuses rows over ~2.7 kB), and megabyte values are no filter.
PARAM_TEXT_MAX = 512

T_LATEST = MetricLatestRow.__table__
T_METRICS = MetricRow.__table__
_EPOCH = point_time(0)  # stands in for "no time", which any time comes after


def typed_param(value: Any) -> tuple[float | None, str | None, bool | None]:
    """``(num_value, str_value, bool_value)`` of one param value."""
    if isinstance(value, bool):
        return None, None, value
    if isinstance(value, (int, float)):
        try:
            f = float(value)
        except OverflowError:  # an int past float's range: stored, not comparable as a number
            return None, None, None
        return (f if math.isfinite(f) else None), None, None
    if isinstance(value, str):
        return None, _searchable(value), None
    if value is None:
        return None, None, None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return None, _searchable(text), None


def _searchable(text: str) -> str | None:
    """``text`` when it fits an index entry beside a 512-character key in UTF-8 bytes
    (PostgreSQL refuses btree entries over ~2.7 kB: 512 characters of CJK or emoji are 1.5-2
    kB), else None."""
    if len(text) <= PARAM_TEXT_MAX // 4:  # at most 4 bytes per character
        return text
    return text if len(text.encode("utf-8", "surrogatepass")) <= PARAM_TEXT_MAX else None


def latest_tuples(
    metrics: Iterable[tuple[str, float | None, int | None, Any, Any]],
    series: Iterable[MetricSeries] = (),
    stamp: Callable[[int], Any] = point_time,
) -> list[tuple[str, float | None, int | None, Any, float | None, float | None]]:
    """``(key, value, step, timestamp, min, max)`` per key of ``(key, value, step, timestamp,
    id)`` tuples (timestamps as datetimes or as fixed-width text) and of the points of
    ``series`` (their times, in microseconds, made comparable by ``stamp``). The last value has
    the highest step (none counts as -1), then the newest timestamp, then the highest id. NaN
    counts as a value for "last" but not for min/max."""
    best: dict[str, list[Any]] = {}
    for s in series:
        order, value, step, ts, lo, hi = _series_latest(s, stamp)
        cur = best.get(s.key)
        if cur is None:
            best[s.key] = [order, value, step, ts, lo, hi]
            continue
        if order >= cur[0]:
            cur[0], cur[1], cur[2], cur[3] = order, value, step, ts
        cur[4], cur[5] = _fold(min, lo, cur[4]), _fold(max, hi, cur[5])
    for key, value, step, ts, mid in metrics:
        v = None if value is None or value != value else float(value)
        order = (-1 if step is None else step, ts is not None, ts or 0, mid or "")
        cur = best.get(key)
        if cur is None:
            best[key] = [order, v, step, ts, v, v]
            continue
        if order >= cur[0]:
            cur[0], cur[1], cur[2], cur[3] = order, v, step, ts
        if v is not None:
            if cur[4] is None or v < cur[4]:
                cur[4] = v
            if cur[5] is None or v > cur[5]:
                cur[5] = v
    return [(k, c[1], c[2], c[3], c[4], c[5]) for k, c in best.items()]


def _series_latest(s: MetricSeries, stamp: Callable[[int], Any]) -> tuple:
    """``(order, value, step, timestamp, min, max)`` of one series, whole columns at a time:
    the same answer as folding its points one by one (a point's id ascends with its index)."""
    steps, values = s.steps, s.values
    if len(values) == 1:  # a metric logged once per run (or per heartbeat)
        i, step, value = 0, steps[0], values[0]
        rank, micros = (-1 if step is None else step), s.times[0]
        lo = hi = None if value != value else value
    else:
        ranks = [-1 if x is None else x for x in steps] if None in steps else steps
        rank, micros, i = max(zip(ranks, s.times, range(len(steps))))
        step, value = steps[i], values[i]
        finite = [v for v in values if v == v]
        lo, hi = min(finite, default=None), max(finite, default=None)
    ts = stamp(micros)
    return (
        (rank, True, ts, point_id(s.id, i)),
        None if value != value else value,
        step,
        ts,
        lo,
        hi,
    )


def latest_rows(
    run_id: str,
    metrics: Iterable[tuple[str, float | None, int | None, datetime | None, Any]],
    series: Iterable[MetricSeries] = (),
) -> list[dict[str, Any]]:
    """``latest_tuples`` as ``metric_latest`` rows of run ``run_id``."""
    return [_row(run_id, *latest) for latest in latest_tuples(metrics, series)]


def _row(run_id: str, key: str, value, step, ts, lo, hi) -> dict[str, Any]:
    return {
        "task_run_id": run_id,
        "key": key,
        "value": value,
        "step": step,
        "timestamp": ts if isinstance(ts, str) else utc(ts),  # as the metric rows: UTC
        "min_value": lo,
        "max_value": hi,
    }


def refresh_latest(
    conn: sa.Connection, run_id: str, metrics: Sequence[Any], series: Sequence[MetricSeries] = ()
) -> None:
    """Fold ``metrics`` and ``series``, just added to run ``run_id``'s history, into its
    latest rows.

    The stored row already folds the earlier history, so only the new metrics are read (a long
    run merges a snapshot every heartbeat: re-reading its whole history each time grew with the
    run). Min and max combine; the last value is the new one unless the stored one has a higher
    step, then the newer one; where both have the same step and time, the stored history
    decides (highest id) — the same order as ``latest_tuples``. Metrics that were already stored (a
    replay) change nothing: none can have a higher step than the stored last value."""
    fresh = latest_tuples(
        ((m.key, m.value, m.step, utc(m.timestamp), m.id) for m in metrics), series
    )
    if not fresh:
        return
    keys = sorted(k for k, *_ in fresh)
    stored: dict[str, Any] = {}
    for part in chunks(keys):
        for r in conn.execute(
            sa.select(T_LATEST).where(T_LATEST.c.task_run_id == run_id, T_LATEST.c.key.in_(part))
        ):
            stored[r.key] = r
    rows = []
    for key, value, step, ts, lo, hi in fresh:
        old = stored.get(key)
        if old is not None:
            lo, hi = _fold(min, lo, old.min_value), _fold(max, hi, old.max_value)
            mine, theirs = _rank(step), _rank(old.step)
            if theirs > mine:
                value, step, ts = old.value, old.step, old.timestamp
            elif theirs == mine:
                # The stored row is the newest of its step: only a time tie needs the history
                # (a metric logged without a step ties on every heartbeat).
                newer, older = _when(ts), _when(old.timestamp)
                if older > newer:
                    value, step, ts = old.value, old.step, old.timestamp
                elif older == newer:
                    value, step, ts = _last_at_step(conn, run_id, key, mine) or (value, step, ts)
        rows.append(_row(run_id, key, value, step, ts, lo, hi))
    for part in chunks(keys):
        conn.execute(
            sa.delete(T_LATEST).where(T_LATEST.c.task_run_id == run_id, T_LATEST.c.key.in_(part))
        )
    conn.execute(sa.insert(T_LATEST), rows)


def _when(ts: datetime | None) -> tuple[bool, datetime]:
    """A timestamp's place in the "last value" order: none comes before any time."""
    return (ts is not None, utc(ts) or _EPOCH)


def _rank(step: int | None) -> int:
    return -1 if step is None else step


def _fold(pick: Any, a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else pick(a, b)


def _last_at_step(conn: sa.Connection, run_id: str, key: str, rank: int) -> tuple | None:
    """The last of the stored points of ``key`` at step ``rank``: newest timestamp, then
    highest id, over both tables (a series' points are read whole: ties are rare)."""
    m = T_METRICS
    row = conn.execute(
        sa.select(m.c.value, m.c.step, m.c.timestamp, m.c.id)
        .where(
            m.c.task_run_id == run_id,
            m.c.key == key,
            sa.func.coalesce(m.c.step, -1) == rank,
        )
        .order_by(m.c.timestamp.is_(None), m.c.timestamp.desc(), m.c.id.desc())
        .limit(1)
    ).first()
    best = None
    if row is not None:
        ts = utc(row.timestamp)
        best = ((ts is not None, ts or _EPOCH, row.id), (row.value, row.step, row.timestamp))
    for s in series_rows(conn, run_id, key):
        for m in s.points():
            if _rank(m.step) == rank and (best is None or (True, m.timestamp, m.id) > best[0]):
                value = None if m.value != m.value else m.value
                best = ((True, m.timestamp, m.id), (value, m.step, m.timestamp))
    return None if best is None else best[1]
