"""trackline: gives ML pipelines a memory.

The whole API a user needs is importable from here::

    from trackline import tracked_task, pipeline_run, log_metric, connect
"""

from ._version import __version__
from .capture import (
    Kind, PipelineRecorder, RunRecorder, current_run, describe, log_artifact, log_metric,
    log_metrics, log_param, log_params, pipeline_run, register_hasher, task_run, tracked_task,
)
from .client import Client, connect
from .errors import NoActiveRun, NotFound, TracklineError

__all__ = [
    "__version__", "tracked_task", "pipeline_run", "task_run", "log_metric", "log_metrics",
    "log_param", "log_params", "log_artifact", "connect", "Client", "Kind", "RunRecorder",
    "PipelineRecorder", "current_run", "describe", "register_hasher", "TracklineError",
    "NotFound", "NoActiveRun",
]
