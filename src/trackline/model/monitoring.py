"""Records of the monitoring loop: drift reports and trigger firings (plain pydantic values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .runs import Artifact, utcnow

__all__ = [
    "FIRING_STATUSES",
    "ColumnDrift",
    "DataRef",
    "DriftReport",
    "TriggerFiring",
    "WindowArtifact",
]

FIRING_STATUSES = ("claimed", "fired", "failed", "dry_run", "cooldown")


class _Record(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="strings")


class ColumnDrift(_Record):
    column: str
    kind: str
    method: str
    score: float | None
    threshold: float
    drifted: bool
    # The score's error bound from the profiles' summaries: the exact score (from the raw data)
    # lies in score ± bound. None on reports stored before bounds existed.
    bound: float | None = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)


class DataRef(_Record):
    """One side of a comparison: what the user asked for and the artifacts it resolved to."""

    ref: str
    digests: list[str]
    rows: int
    label: str | None = None


class DriftReport(_Record):
    id: str
    created_at: datetime = Field(default_factory=utcnow)
    reference: DataRef
    current: DataRef
    drifted: bool
    share: float
    share_threshold: float
    columns: list[ColumnDrift]
    new_columns: list[str] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = None  # the task run that made the check (lineage)
    report_digest: str | None = None  # the report artifact that run output

    def summary(self) -> dict[str, Any]:
        """The documented ``--json`` contract plus identities."""
        return {
            "id": self.id,
            "drifted": self.drifted,
            "share": self.share,
            "share_threshold": self.share_threshold,
            "reference": self.reference.model_dump(mode="json"),
            "current": self.current.model_dump(mode="json"),
            "columns": [c.model_dump(mode="json") for c in self.columns],
            "new_columns": self.new_columns,
            "run_id": self.run_id,
            "report_digest": self.report_digest,
            "created_at": self.created_at.isoformat(),
        }


class TriggerFiring(_Record):
    """One decision of a trigger rule to act (or, in a dry run / cooldown, not to)."""

    id: str
    key: str  # idempotency key: policy/rule/episode
    policy: str
    rule: str
    episode: str
    status: str = "claimed"
    action: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    started: dict[str, Any] | None = None  # what the orchestrator answered: run id, URL…
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class WindowArtifact(BaseModel):
    """One artifact a task read or wrote in a run of the window (full record, profile included)."""

    run_id: str
    slot: str
    run_started: datetime | None
    artifact: Artifact
