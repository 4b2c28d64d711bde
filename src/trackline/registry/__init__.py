"""The model registry: versions, aliases, evaluations and deployment verification.

Promotion (moving an alias on a passing gate decision) is in ``trackline.gates``."""

from ..model.registry import (
    AliasEvent,
    AliasMove,
    AuditEntry,
    AuditReport,
    Evaluation,
    GateDecision,
    ModelHistory,
    ModelSummary,
    ModelVersion,
    RuleResult,
    VerifyResult,
)
from .evaluations import evaluations, log_evaluation
from .history import model_history
from .models import list_models, model_versions, register_model, resolve_model, update_model
from .refs import parse_ref
from .verify import verify_model

__all__ = [
    "register_model",
    "resolve_model",
    "update_model",
    "list_models",
    "model_versions",
    "model_history",
    "log_evaluation",
    "evaluations",
    "verify_model",
    "parse_ref",
    "ModelVersion",
    "ModelSummary",
    "AliasMove",
    "AliasEvent",
    "ModelHistory",
    "Evaluation",
    "GateDecision",
    "RuleResult",
    "AuditEntry",
    "AuditReport",
    "VerifyResult",
]
