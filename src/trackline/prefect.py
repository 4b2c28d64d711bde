"""The Prefect front door::

from trackline.prefect import tracked_flow, flow_hooks, tracked_task, gate
"""

try:
    import prefect as _prefect  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "trackline.prefect needs Prefect 3: pip install 'trackline[prefect]'"
    ) from exc

from .integrations.prefect import flow_hooks, tracked_flow, tracked_task
from .integrations.prefect.gate import gate

__all__ = ["tracked_flow", "flow_hooks", "tracked_task", "gate"]
