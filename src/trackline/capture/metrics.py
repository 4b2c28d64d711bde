"""A run's metrics as they are logged: points in columns per key, no record per point.

``log_metric`` in a training loop is called tens of thousands of times per run, so a point is
one checked tuple appended to its key's list; records (``MetricSeries``, one per key and up to
``SERIES_MAX`` points) are built only when the run writes a snapshot or its final record.

Thread safety without a lock: the heartbeat thread takes the points while the run's thread logs.
Taking copies a key's list and deletes that many points from its front, two atomic list
operations, so a point appended in between stays for the next take; a point is one tuple, so
no take can see part of one.
"""

from __future__ import annotations

import numbers
import time
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..errors import InvalidInput
from ..model.ids import next_id
from ..model.runs import SERIES_MAX, MetricSeries, point_micros
from ..model.trusted import construct

__all__ = ["MetricBuffer"]

_WHEN = TypeAdapter(datetime)


# Points a run may hold before it writes a running record on its own, between heartbeats: a
# record stays a few megabytes (a team server refuses bodies over 32 MiB by default; a tight
# loop logs half a million points a second).
SNAPSHOT_POINTS = 100_000


class MetricBuffer:
    def __init__(self) -> None:
        self._points: dict[str, list[tuple[float, int | None, int]]] = {}
        self.pending = 0  # points logged since the last take (a trigger, not an exact count)

    def log(self, key: Any, value: Any, step: Any = None, timestamp: Any = None) -> bool:
        """Check one point and keep it; raises ``InvalidInput`` for what cannot be a metric.
        True when ``SNAPSHOT_POINTS`` wait: time to write them."""
        cls = type(value)
        if (
            cls is not float
            and cls is not int
            and (isinstance(value, bool) or not isinstance(value, numbers.Real))
        ):
            raise InvalidInput(f"metric {key!r} must be a real number, not {type(value).__name__}")
        try:
            number = float(value)
        except OverflowError:  # an int past float's range (10**400)
            raise InvalidInput(f"metric {key!r} is beyond the range of a float") from None
        if step is not None:
            step = int(step)
        when = time.time_ns() // 1000 if timestamp is None else _micros(key, timestamp)
        if type(key) is not str:
            key = str(key)
        points = self._points.get(key)
        if points is None:
            points = self._points.setdefault(key, [])
        points.append((number, step, when))
        self.pending += 1
        return self.pending >= SNAPSHOT_POINTS

    def take(self, consume: bool = True) -> list[MetricSeries]:
        """The points logged since the last take, as series; ``consume=False``: only a look."""
        series = []
        if consume:
            self.pending = 0
        for key, points in list(self._points.items()):
            taken = points[:]
            if not taken:
                continue
            if consume:
                del points[: len(taken)]
            for start in range(0, len(taken), SERIES_MAX):
                if len(taken) == 1:  # a metric logged once per run (or per heartbeat)
                    ((value, step, when),) = taken
                    values, steps, times = [value], [step], [when]
                else:
                    values, steps, times = map(list, zip(*taken[start : start + SERIES_MAX]))
                fields = {
                    "id": next_id(),
                    "key": key,
                    "values": values,
                    "steps": steps,
                    "times": times,
                }
                series.append(construct(MetricSeries, fields))  # checked point by point above
        return series


def _micros(key: Any, timestamp: Any) -> int:
    """A caller's timestamp (a datetime or ISO text; naive means UTC) in microseconds."""
    try:
        return point_micros(_WHEN.validate_python(timestamp))
    except ValidationError:
        raise InvalidInput(f"metric {key!r}: timestamp {timestamp!r} is not a time") from None
