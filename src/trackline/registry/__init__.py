"""The model registry: versions, aliases, evaluations, promotion and deployment verification."""

from ..model.registry import (
    AliasMove,
    AuditEntry,
    AuditReport,
    Evaluation,
    GateDecision,
    ModelSummary,
    ModelVersion,
    RuleResult,
    VerifyResult,
)
from .evaluations import evaluations, log_evaluation
from .models import list_models, model_versions, register_model, resolve_model, update_model
from .promotion import promote, verify_model
from .refs import parse_ref

__all__ = [
    "register_model",
    "resolve_model",
    "update_model",
    "list_models",
    "model_versions",
    "log_evaluation",
    "evaluations",
    "promote",
    "verify_model",
    "parse_ref",
    "ModelVersion",
    "ModelSummary",
    "AliasMove",
    "Evaluation",
    "GateDecision",
    "RuleResult",
    "AuditEntry",
    "AuditReport",
    "VerifyResult",
]
