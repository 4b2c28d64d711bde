"""The store-side interface of the model registry, evaluations, gate decisions and audit log.

A backend that supports the registry inherits ``RegistryStore`` next to ``Store`` (the SQL store
does; the HTTP store implements the same methods over REST). Every write that changes what may be
deployed appends to the hash-chained audit log in the same transaction, so the log cannot miss a
change that happened.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..model.registry import (
    AliasMove,
    AuditEntry,
    Evaluation,
    Expectation,
    GateDecision,
    ModelSummary,
    ModelVersion,
)
from ..model.runs import Artifact

__all__ = ["RegistryStore"]


class RegistryStore(ABC):
    # -- models ---------------------------------------------------------------------------
    @abstractmethod
    def add_model_version(
        self,
        name: str,
        artifact: Artifact,
        *,
        run_id: str | None,
        actor: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ModelVersion:
        """Register ``artifact`` as the next version of ``name`` (1, 2, 3…).

        Idempotent by content: when this digest already is a version of ``name``, that version is
        returned unchanged. With ``run_id`` the artifact is also recorded as an output of that run.
        """

    @abstractmethod
    def list_models(self) -> list[ModelSummary]: ...

    @abstractmethod
    def list_model_versions(self, name: str) -> list[ModelVersion]:
        """All versions of one model, oldest first (``NotFound`` for an unknown name)."""

    @abstractmethod
    def model_versions_with_digest(self, digest: str) -> list[ModelVersion]:
        """The versions (of any model) whose artifact is these bytes; a prefix shorter than a
        full digest matches every digest it starts."""

    @abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def update_model_version(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        description: str | None = None,
        tags: dict[str, str | None] | None = None,
    ) -> ModelVersion:
        """Change a version's description and tags (a tag set to ``None`` is removed)."""

    # -- aliases --------------------------------------------------------------------------
    @abstractmethod
    def get_aliases(self, name: str) -> dict[str, int]: ...

    @abstractmethod
    def move_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        actor: str,
        expected: Expectation = "any",
        decision_id: str | None = None,
        reason: str | None = None,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` if it still points at ``expected`` (compare-and-swap).

        A lost race raises ``Conflict`` after recording the refused attempt in the audit log.
        """

    # -- evaluations and decisions ----------------------------------------------------------
    @abstractmethod
    def write_evaluation(self, evaluation: Evaluation, artifacts: list[Artifact]) -> None:
        """Store an evaluation (and the model/dataset artifact records it refers to)."""

    @abstractmethod
    def list_evaluations(
        self, *, model_digest: str | None = None, limit: int = 1000
    ) -> list[Evaluation]:
        """Evaluations, newest first."""

    @abstractmethod
    def write_decision(self, decision: GateDecision) -> GateDecision | None:
        """Record a decision. A store that re-checks the policy itself (the team server, through
        ``HttpStore``) returns the decision it recorded; ``None`` means ``decision`` as given."""

    @abstractmethod
    def get_decision(self, decision_id: str) -> GateDecision: ...

    @abstractmethod
    def list_decisions(
        self, *, model_digest: str | None = None, policy_digest: str | None = None, limit: int = 100
    ) -> list[GateDecision]:
        """Decisions, newest first."""

    # -- audit ----------------------------------------------------------------------------
    @abstractmethod
    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        model: str | None = None,
        version: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> AuditEntry: ...

    @abstractmethod
    def audit_entries(
        self,
        *,
        model: str | None = None,
        limit: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        before: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in sequence order (with ``limit``: the newest ``limit`` of them), optionally
        only those of one model, actor or action, or with a sequence number below ``before``."""

    @abstractmethod
    def audit_head(self) -> tuple[int, str]:
        """The sequence number and hash of the newest entry, kept apart from the entries."""
