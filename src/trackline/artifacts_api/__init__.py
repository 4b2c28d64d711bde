"""Getting artifact bytes back: fetch by reference, load a DataFrame, reproduce a run, pin runs
and collect garbage. The bytes themselves live in ``trackline.blobs``."""

from .fetch import fetch_artifact, load_dataframe
from .gc import GcResult, collect_garbage
from .pins import pin_run, pinned_runs, unpin_run
from .recheck import CheckResult, check_run
from .refs import Resolved, resolve_ref
from .reproduce import Materialised, materialise_run

__all__ = [
    "CheckResult",
    "GcResult",
    "Materialised",
    "Resolved",
    "check_run",
    "collect_garbage",
    "fetch_artifact",
    "load_dataframe",
    "materialise_run",
    "pin_run",
    "pinned_runs",
    "resolve_ref",
    "unpin_run",
]
