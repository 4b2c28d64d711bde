"""A run's metrics as they are logged: points in columns per key, no record per point.

``log_metric`` in a training loop is called tens of thousands of times per run, so a point is
a float and two ints appended to its key's three lists — no object per point for the cyclic
garbage collector to count, whose collections over a large heap cost more than the loop — and
records (``MetricSeries``, one per key and up to ``SERIES_MAX`` points) are built only when the
run writes a snapshot or its final record.

Logging takes no lock while the heartbeat thread takes points: a point is appended to values,
then steps, then times, so ``len(times)`` points are complete in all three; a take copies that
many from the front of each list and deletes them (atomic list operations), and a point appended
meanwhile stays for the next take. Takes hold a lock against each other (the heartbeat's and the
run's own final one).
"""

from __future__ import annotations

import decimal
import numbers
import threading
import time
from typing import Any

from ..errors import InvalidInput
from ..model.ids import next_id
from ..model.runs import SERIES_MAX, MetricSeries, as_time, point_micros
from ..model.trusted import constructor

__all__ = ["MetricBuffer"]

_INFINITE = (float("inf"), float("-inf"))

# Points a run may hold before it writes a running record on its own, between heartbeats: a
# record stays a few megabytes (a team server refuses bodies over 32 MiB by default; a tight
# loop logs half a million points a second).
SNAPSHOT_POINTS = 100_000
_series = constructor(MetricSeries)


class MetricBuffer:
    def __init__(self) -> None:
        self._points: dict[str, tuple[list[float], list[int | None], list[int]]] = {}
        self._taking = threading.Lock()
        self.pending = 0  # points logged since the last take (a trigger, not an exact count)

    def log(self, key: Any, value: Any, step: Any = None, timestamp: Any = None) -> bool:
        """Check one point and keep it; raises ``InvalidInput`` for what cannot be a metric.
        True when ``SNAPSHOT_POINTS`` wait: time to write them."""
        cls = type(value)
        if (
            cls is not float
            and cls is not int
            and (
                isinstance(value, bool)
                or not isinstance(value, (numbers.Real, decimal.Decimal))  # Decimal: not Real
            )
        ):
            raise InvalidInput(f"metric {key!r} must be a real number, not {type(value).__name__}")
        try:
            number = float(value)
        except OverflowError:  # an int past float's range (10**400)
            raise InvalidInput(f"metric {key!r} is beyond the range of a float") from None
        if isinstance(value, decimal.Decimal) and number in _INFINITE and value.is_finite():
            # float(Decimal("1e400")) is inf, with no OverflowError
            raise InvalidInput(f"metric {key!r} is beyond the range of a float")
        if step is not None:
            try:
                step = int(step)
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"metric {key!r}: step must be an integer, not {step!r:.40}"
                ) from None
        when = (
            time.time_ns() // 1000
            if timestamp is None
            else point_micros(as_time(timestamp, f"timestamp of metric {key!r}"))
        )
        if type(key) is not str:
            key = str(key)
        columns = self._points.get(key)
        if columns is None:
            columns = self._points.setdefault(key, ([], [], []))
        values, steps, times = columns
        values.append(number)
        steps.append(step)
        times.append(when)  # last: the point is complete
        self.pending += 1
        return self.pending >= SNAPSHOT_POINTS

    def take(self, consume: bool = True) -> list[MetricSeries]:
        """The points logged since the last take, as series; ``consume=False``: only a look."""
        series = []
        make = _series
        with self._taking:
            if consume:
                self.pending = 0
            for key, (values, steps, times) in list(self._points.items()):
                n = len(times)
                if not n:
                    continue
                vs, ss, ts = values[:n], steps[:n], times[:n]
                if consume:
                    del values[:n], steps[:n], times[:n]
                if n <= SERIES_MAX:  # checked point by point
                    series.append(
                        make({"id": next_id(), "key": key, "values": vs, "steps": ss, "times": ts})
                    )
                    continue
                for start in range(0, n, SERIES_MAX):
                    end = start + SERIES_MAX
                    series.append(
                        make(
                            {
                                "id": next_id(),
                                "key": key,
                                "values": vs[start:end],
                                "steps": ss[start:end],
                                "times": ts[start:end],
                            }
                        )
                    )
        return series
