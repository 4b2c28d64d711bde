"""Durations as people write them in policies: ``7d``, ``12h``, ``1d12h``, ``90m``, ``30s``,
``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str | int | float) -> timedelta:
    """Raises ``ValueError`` with the accepted forms when ``text`` is not a positive duration."""
    if isinstance(text, bool):
        raise ValueError("a duration is like 7d, 12h, 30m, 1d12h (or a number of seconds)")
    if isinstance(text, (int, float)):
        try:
            seconds = float(text)
        except OverflowError:  # a 400-digit integer
            seconds = float("inf")
    else:
        compact = str(text).replace(" ", "").lower()
        if not compact or _PART.sub("", compact) != "":
            raise ValueError(f"{text!r} is not a duration: write it like 7d, 12h, 30m, 1d12h or 2w")
        seconds = sum(float(n) * _UNIT[u] for n, u in _PART.findall(compact))
    if not seconds > 0:  # NaN too
        raise ValueError(f"{text!r}: a duration must be positive")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # .inf, 99999999999w: past timedelta's 999,999,999 days
        raise ValueError(f"{text!r}: a duration must be under 2 million years") from None
