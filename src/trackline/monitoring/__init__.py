"""Monitoring: data profiles, drift between stored profiles, and retraining triggers.

Importing this package is cheap: numpy and pandas load only when a profile is made or compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model.monitoring import DriftReport
    from .drift import DriftConfig

__all__ = [
    "DriftConfig",
    "DriftReport",
    "TriggerFiring",
    "check_drift",
    "merge_profiles",
    "profile",
]


def check_drift(
    reference: Any, current: Any, *, config: Any = None, record: bool = True, store: Any = None
) -> DriftReport:
    """Drift of ``current`` against ``reference`` from their data profiles; see ``check.py``."""
    from .check import check_drift as _check

    return _check(reference, current, config=config, record=record, store=store)


def profile(frame: Any, mode: str = "full") -> dict[str, Any]:
    """The data profile of a pandas DataFrame or Series (what tracked artifacts carry)."""
    from ..profiles.profile import profile_frame

    return profile_frame(frame, mode)  # type: ignore[arg-type]


def merge_profiles(profiles: list[dict[str, Any]]) -> dict[str, Any]:
    from ..profiles.profile import merge_profiles as _merge

    return _merge(profiles)


def __getattr__(name: str) -> Any:
    if name == "DriftConfig":
        from .drift import DriftConfig

        return DriftConfig
    if name in ("DriftReport", "TriggerFiring"):
        from ..model import monitoring as records

        return getattr(records, name)
    raise AttributeError(name)
