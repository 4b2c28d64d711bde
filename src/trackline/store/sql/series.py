"""Metric series in the SQL store: one ``metric_series`` row per series (``tables.py``).

The columns are JSON arrays, encoded and decoded by pydantic-core (a float's ``repr`` in
Python's ``json`` costs several times the insert of its row). Points whose ids a run already
holds are left as they are; a series id stored with other points is refused, as a metric id is
(``history.metric_conflicts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from pydantic_core import to_json

from ...errors import Conflict
from ...model.runs import MetricSeries
from ...model.trusted import construct
from .dialect import chunks, insert_ignore
from .tables import MetricSeriesRow

__all__ = [
    "T_SERIES",
    "INSERT_SERIES",
    "series_tuple",
    "insert_series",
    "series_rows",
    "series_conflicts",
]

T_SERIES = MetricSeriesRow.__table__
INSERT_SERIES = (
    "INSERT OR IGNORE INTO metric_series (task_run_id, id, key, n, vals, steps, times) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_VALUES = TypeAdapter(list[float])  # reads "NaN", "Infinity", "-Infinity" back as floats
_STEPS = TypeAdapter(list[int | None])
_TIMES = TypeAdapter(list[int])


def series_tuple(run_id: str, s: MetricSeries) -> tuple:
    """``(task_run_id, id, key, n, vals, steps, times)`` of one series."""
    return (
        run_id,
        s.id,
        s.key,
        len(s.values),
        to_json(s.values, inf_nan_mode="strings").decode(),
        to_json(s.steps).decode(),
        to_json(s.times).decode(),
    )


def insert_series(conn: sa.Connection, run_id: str, series: Sequence[MetricSeries]) -> None:
    """Insert ``series`` of run ``run_id`` inside the caller's transaction (any dialect)."""
    cols = ("task_run_id", "id", "key", "n", "vals", "steps", "times")
    conn.execute(
        insert_ignore(conn, T_SERIES, ["task_run_id", "id"]),
        [dict(zip(cols, series_tuple(run_id, s))) for s in series],
    )


def series_rows(conn: sa.Connection, run_id: str, key: str | None = None) -> list[MetricSeries]:
    """The stored series of run ``run_id`` (of one ``key``), in insertion order of their ids."""
    t = T_SERIES
    q = sa.select(t.c.id, t.c.key, t.c.vals, t.c.steps, t.c.times).where(t.c.task_run_id == run_id)
    if key is not None:
        q = q.where(t.c.key == key)
    return [_decode(r) for r in conn.execute(q.order_by(t.c.id))]


def _decode(r: Any) -> MetricSeries:
    fields = {
        "id": r.id,
        "key": r.key,
        "values": _VALUES.validate_json(r.vals),
        "steps": _STEPS.validate_json(r.steps),
        "times": _TIMES.validate_json(r.times),
    }
    return construct(MetricSeries, fields)  # validated by the adapters, written by us


def series_conflicts(conn: sa.Connection, run_id: str, series: Sequence[MetricSeries]) -> None:
    """Refuse a series whose id this run already holds with another key or other points."""
    t = T_SERIES
    ids = [s.id for s in series]
    stored = {
        r.id: r
        for part in chunks(ids)
        for r in conn.execute(
            sa.select(t.c.id, t.c.key, t.c.n, t.c.vals, t.c.steps, t.c.times).where(
                t.c.task_run_id == run_id, t.c.id.in_(part)
            )
        )
    }
    for s in series:
        r = stored.get(s.id)
        if r is not None and series_tuple(run_id, s)[2:] != (r.key, r.n, r.vals, r.steps, r.times):
            raise Conflict(
                f"metric series {s.id!r} of run {run_id!r} is already recorded with other "
                "points; a recorded metric is never replaced"
            )
