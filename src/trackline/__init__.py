"""trackline: gives ML pipelines a memory.

The whole API a user needs is importable from here::

    from trackline import tracked_task, pipeline_run, log_metric, connect
"""

from ._version import __version__
from .artifacts_api import fetch_artifact, load_dataframe
from .audit import audit_log, verify_audit
from .capture import (
    Kind,
    PipelineRecorder,
    RunRecorder,
    current_run,
    describe,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    pipeline_run,
    register_hasher,
    task_run,
    tracked_task,
)
from .client import Client, connect
from .errors import NoActiveRun, NotFound, PromotionRefused, TracklineError
from .gates import Policy, check_gate, load_policy
from .monitoring import check_drift
from .registry import (
    GateDecision,
    ModelVersion,
    evaluations,
    list_models,
    log_evaluation,
    promote,
    register_model,
    resolve_model,
    verify_model,
)

__all__ = [
    "__version__",
    "tracked_task",
    "pipeline_run",
    "task_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_artifact",
    "connect",
    "Client",
    "Kind",
    "RunRecorder",
    "PipelineRecorder",
    "current_run",
    "describe",
    "register_hasher",
    "TracklineError",
    "NotFound",
    "NoActiveRun",
    "register_model",
    "resolve_model",
    "list_models",
    "log_evaluation",
    "evaluations",
    "check_gate",
    "load_policy",
    "Policy",
    "promote",
    "verify_model",
    "audit_log",
    "verify_audit",
    "ModelVersion",
    "GateDecision",
    "PromotionRefused",
    "check_drift",
    "fetch_artifact",
    "load_dataframe",
]
