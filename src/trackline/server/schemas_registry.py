"""Request bodies of the registry endpoints (responses are ``trackline.registry`` records)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..model.registry import Evaluation
from ..model.runs import Artifact

__all__ = [
    "AliasMoveIn",
    "AuditAppendIn",
    "AuditHead",
    "EvaluationIn",
    "GateCheckIn",
    "ModelVersionIn",
    "ModelVersionPatch",
    "PromoteIn",
]


class ModelVersionIn(BaseModel):
    """Register ``artifact`` as the next version (or get the version these bytes already are)."""

    artifact: Artifact
    run_id: str | None = Field(default=None, max_length=128)
    producer_rule: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=10_000)
    tags: dict[str, str] = Field(default_factory=dict, max_length=1000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ModelVersionPatch(BaseModel):
    description: str | None = Field(default=None, max_length=10_000)
    tags: dict[str, str | None] = Field(default_factory=dict, max_length=1000)  # None removes a tag


class AliasMoveIn(BaseModel):
    """Compare-and-swap: move only if the alias still points at ``expected`` (a version, ``null``
    for empty, or ``"any"``). ``decision_id`` must name a passing decision for the version's
    bytes."""

    version: int = Field(ge=1, le=2**31 - 1)
    expected: int | None | Literal["any"] = "any"
    decision_id: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class PromoteIn(BaseModel):
    """Server-side ``trackline models promote``: with ``policy`` the gate runs first."""

    alias: str = Field(min_length=1, max_length=255)
    policy: dict[str, Any] | None = None
    decision_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class EvaluationIn(BaseModel):
    evaluation: Evaluation
    artifacts: list[Artifact] = Field(default_factory=list, max_length=100)


class GateCheckIn(BaseModel):
    """A policy as parsed YAML (the same mapping a policy file holds)."""

    policy: dict[str, Any]
    policy_file: str | None = Field(default=None, max_length=4096)
    # A client-chosen id makes a retried check return the decision the first one recorded.
    decision_id: str | None = Field(default=None, min_length=1, max_length=64)


class AuditAppendIn(BaseModel):
    """Events only a client can witness (it hashed the deployed file, or refused itself)."""

    action: Literal["model.verified", "promotion.refused"]
    model: str | None = Field(default=None, max_length=255)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    data: dict[str, Any] = Field(default_factory=dict)


class AuditHead(BaseModel):
    seq: int
    hash: str
