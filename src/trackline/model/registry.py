"""Records of the registry, evaluations, gate decisions and the audit log.

Plain pydantic values like ``trackline.model.runs``: the SQL store, the HTTP store and the CLI's
``--json`` output all pass the same objects around.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .runs import utcnow

__all__ = [
    "ModelVersion",
    "ModelSummary",
    "AliasMove",
    "AliasEvent",
    "ModelHistory",
    "Evaluation",
    "RuleResult",
    "GateDecision",
    "AuditEntry",
    "AuditReport",
    "VerifyResult",
    "Expectation",
]

# What a promotion expects the alias to point at now: a version, ``None`` (empty) or "any".
Expectation = int | None | Literal["any"]


class _Record(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ModelVersion(_Record):
    """One registered version: a model artifact (by digest) and the run that produced it."""

    name: str
    version: int
    digest: str
    uri: str | None = None
    kind: str | None = None
    run_id: str | None = None
    # How the producing run was found: "active-run", "explicit" or "digest:newest-success".
    producer_rule: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    actor: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


class ModelSummary(_Record):
    name: str
    versions: int
    latest_version: int
    aliases: dict[str, int] = Field(default_factory=dict)
    updated_at: datetime | None = None


class AliasMove(_Record):
    name: str
    alias: str
    version: int
    previous: int | None
    decision_id: str | None = None
    actor: str
    at: datetime = Field(default_factory=utcnow)
    audit_seq: int | None = None


class AliasEvent(_Record):
    """One attempt to move an alias, as the audit log recorded it, with the decision it cited.

    ``action`` is ``alias.moved``, ``promotion.refused`` or ``promotion.conflict``; ``version``
    the version it tried to move the alias to and ``previous`` what the alias pointed at before
    (for a conflict: what was found there).
    """

    seq: int
    at: datetime
    actor: str
    action: str
    alias: str
    version: int | None = None
    previous: int | None = None
    decision_id: str | None = None
    reason: str | None = None
    policy_name: str | None = None
    verdict: str | None = None
    failed_rules: list[int] = Field(default_factory=list)


class ModelHistory(_Record):
    """Every alias move of a model up to ``at`` (all of them without it), and which version
    each alias pointed at then (``held``; an alias emptied or never set is absent)."""

    name: str
    alias: str | None = None
    at: datetime | None = None
    events: list[AliasEvent] = Field(default_factory=list)
    held: dict[str, int] = Field(default_factory=dict)


class Evaluation(_Record):
    """Metrics of one model artifact on one dataset artifact, optionally per slice."""

    id: str
    model_name: str | None = None
    model_version: int | None = None
    model_digest: str
    dataset_digest: str
    dataset_name: str | None = None
    metrics: dict[str, float]
    slices: dict[str, dict[str, float]] = Field(default_factory=dict)
    run_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    actor: str | None = None


class RuleResult(_Record):
    index: int
    kind: str
    rule: str  # a one-line description of the rule as written
    passed: bool
    observed: dict[str, Any] = Field(default_factory=dict)
    message: str
    evidence: list[str] = Field(default_factory=list)  # evaluation ids (and run ids for lineage)


class GateDecision(_Record):
    """The outcome of one gate check, recorded whether it passed or not."""

    id: str
    policy_name: str
    policy_digest: str
    policy: dict[str, Any] = Field(default_factory=dict)
    policy_file: str | None = None
    model_name: str
    model_version: int
    model_digest: str
    verdict: Literal["pass", "fail"]
    results: list[RuleResult]
    # The version each compared alias pointed at when the gate ran (None: empty alias).
    incumbents: dict[str, int | None] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    actor: str

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


class AuditEntry(_Record):
    seq: int
    at: datetime
    actor: str
    action: str
    model: str | None = None
    version: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str


class AuditReport(_Record):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str  # copy it somewhere else now and then: it pins the whole history up to here
    problems: list[str] = Field(default_factory=list)


class VerifyResult(_Record):
    ref: str
    name: str
    version: int
    path: str
    expected_digest: str
    actual_digest: str
    ok: bool
