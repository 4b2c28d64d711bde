"""The record types every layer passes around, and the pure helpers they need.

The bottom layer: it imports nothing of trackline but ``errors`` and ``config``. Records are
plain pydantic values (no database sessions attached), so the same objects travel through the
SQL store, the spool, the HTTP store, the server and the CLI's ``--json`` output.
"""

from __future__ import annotations

from .monitoring import ColumnDrift, DataRef, DriftReport, TriggerFiring, WindowArtifact
from .registry import (
    AliasMove,
    AuditEntry,
    AuditReport,
    Evaluation,
    Expectation,
    GateDecision,
    ModelSummary,
    ModelVersion,
    RuleResult,
    VerifyResult,
)
from .runs import (
    TERMINAL,
    Artifact,
    ArtifactKind,
    ArtifactRef,
    CodeRef,
    ColumnInfo,
    Environment,
    ErrorInfo,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Metric,
    MetricSeries,
    PipelineRun,
    ResourceSample,
    ResourceUsage,
    RunQuery,
    RunStatus,
    TaskRun,
    utcnow,
)

__all__ = [
    "AliasMove",
    "Artifact",
    "ArtifactKind",
    "ArtifactRef",
    "AuditEntry",
    "AuditReport",
    "CodeRef",
    "ColumnDrift",
    "ColumnInfo",
    "DataRef",
    "DriftReport",
    "Environment",
    "ErrorInfo",
    "Evaluation",
    "Expectation",
    "GateDecision",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "Metric",
    "MetricSeries",
    "ModelSummary",
    "ModelVersion",
    "PipelineRun",
    "ResourceSample",
    "ResourceUsage",
    "RuleResult",
    "RunQuery",
    "RunStatus",
    "TERMINAL",
    "TaskRun",
    "TriggerFiring",
    "VerifyResult",
    "WindowArtifact",
    "utcnow",
]
