"""How a drift report reads and when it fails: one headline and one exit rule for every caller.

The headline names the drifted columns first and never reads "no drift" while any column
drifted; ``fails`` implements ``--fail-on any|share|COLUMN,COLUMN``.
"""

from __future__ import annotations

from ..errors import InvalidInput
from ..model.monitoring import DriftReport

__all__ = ["drifted_columns", "fails", "headline"]


def drifted_columns(report: DriftReport) -> list[str]:
    return [c.column for c in report.columns if c.drifted]


def headline(report: DriftReport) -> str:
    """E.g. ``dataset drift: no (2/6 columns < share 0.50) — drifted columns: temp, region``."""
    names = drifted_columns(report)
    total = len(report.columns)
    rel = ">=" if report.drifted else "<"
    verdict = "YES" if report.drifted else "no"
    head = (
        f"dataset drift: {verdict} ({len(names)}/{total} columns {rel} share "
        f"{report.share_threshold:.2f})"
    )
    if names:
        return f"{head} — drifted columns: {', '.join(names)}"
    return f"{head} — no column drifted"


def fails(report: DriftReport, fail_on: str = "share") -> bool:
    """``share``: the dataset drifted (the documented share rule); ``any``: any column drifted;
    otherwise a comma-separated list of columns, any of which drifting fails."""
    rule = (fail_on or "share").strip()
    if rule == "share":
        return report.drifted
    if rule == "any":
        return any(c.drifted for c in report.columns)
    wanted = [c.strip() for c in rule.split(",") if c.strip()]
    known = {c.column for c in report.columns}
    unknown = [c for c in wanted if c not in known]
    if not wanted or unknown:
        raise InvalidInput(
            f"--fail-on {fail_on!r}: use any, share, or compared columns "
            f"({', '.join(sorted(known)) or 'none'}); unknown: {', '.join(unknown) or '-'}"
        )
    drifted = set(drifted_columns(report))
    return any(c in drifted for c in wanted)
