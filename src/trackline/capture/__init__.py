"""Capture: the recorder and everything it measures (hashing, resources, environment, code)."""

from .api import log_artifact, log_metric, log_metrics, log_param, log_params, task_run
from .artifacts import describe, register_hasher
from .context import current_pipeline, current_run
from .decorator import Input, Kind, Output, tracked_task
from .pipeline import PipelineRecorder, pipeline_run
from .recorder import RunRecorder

__all__ = [
    "tracked_task",
    "Kind",
    "Input",
    "Output",
    "RunRecorder",
    "PipelineRecorder",
    "pipeline_run",
    "task_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_artifact",
    "describe",
    "register_hasher",
    "current_run",
    "current_pipeline",
]
