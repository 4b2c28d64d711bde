"""trackline: gives ML pipelines a memory.

Everything a pipeline author calls is importable from here::

    from trackline import tracked_task, pipeline_run, log_metric, connect

together with the record types those calls return. Advanced pieces live in named submodules:
``trackline.capture`` (recorders, hashers), ``trackline.store`` (backends and capabilities),
``trackline.gates`` (policies), ``trackline.monitoring`` (profiles, triggers), ``trackline.model``
(every record type), ``trackline.airflow`` and ``trackline.prefect`` (orchestrator adapters).
docs/api.md lists the public surface.
"""

from ._version import __version__
from .artifacts_api import fetch_artifact, load_dataframe
from .audit import audit_log, verify_audit
from .capture import (
    Input,
    Kind,
    Output,
    current_run,
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
from .client import Client, configure, connect
from .errors import (
    ConfigError,
    GateFailed,
    InvalidInput,
    NoActiveRun,
    NotFound,
    PromotionRefused,
    StoreUnavailable,
    TracklineError,
)
from .gates import check_gate, promote
from .model import (
    AliasMove,
    Artifact,
    AuditEntry,
    AuditReport,
    DriftReport,
    Evaluation,
    GateDecision,
    LineageGraph,
    ModelVersion,
    PipelineRun,
    RunStatus,
    TaskRun,
    VerifyResult,
)
from .monitoring import check_drift
from .registry import (
    evaluations,
    list_models,
    log_evaluation,
    register_model,
    resolve_model,
    verify_model,
)

__all__ = [
    # capture
    "tracked_task",
    "pipeline_run",
    "task_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_artifact",
    "Input",
    "Output",
    "current_run",
    "register_hasher",
    "Kind",
    # stores and queries
    "connect",
    "configure",
    "Client",
    # registry, gates, audit, monitoring
    "register_model",
    "resolve_model",
    "list_models",
    "log_evaluation",
    "evaluations",
    "check_gate",
    "promote",
    "verify_model",
    "audit_log",
    "verify_audit",
    "check_drift",
    # record types the calls return
    "TaskRun",
    "PipelineRun",
    "Artifact",
    "LineageGraph",
    "RunStatus",
    "ModelVersion",
    "Evaluation",
    "GateDecision",
    "AliasMove",
    "VerifyResult",
    "AuditEntry",
    "AuditReport",
    "DriftReport",
    # errors
    "TracklineError",
    "ConfigError",
    "InvalidInput",
    "NotFound",
    "NoActiveRun",
    "PromotionRefused",
    "GateFailed",
    "StoreUnavailable",
    "__version__",
    "fetch_artifact",
    "load_dataframe",
]
