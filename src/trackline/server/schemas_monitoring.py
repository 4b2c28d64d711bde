"""Request and response bodies of the monitoring endpoints (drift reports and firings themselves
are ``trackline.model.monitoring``; the ``…In`` variants only add the limits of their columns)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..model.monitoring import FIRING_STATUSES, DriftReport, TriggerFiring

__all__ = [
    "DriftReportIn",
    "EpisodeClose",
    "EpisodeOpen",
    "EpisodeOut",
    "Changed",
    "FiringClaimed",
    "TriggerFiringIn",
]

Key = Annotated[str, Field(min_length=1, max_length=512)]  # policy/rule[/episode]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Status = Literal[FIRING_STATUSES]  # type: ignore[valid-type]


class DriftReportIn(DriftReport):
    id: Id
    run_id: str | None = Field(default=None, max_length=64)
    report_digest: str | None = Field(default=None, max_length=128)


class TriggerFiringIn(TriggerFiring):
    id: Id
    key: Key
    policy: Key
    rule: Key
    episode: Id
    status: Status = "claimed"


class EpisodeOpen(BaseModel):
    key: Key
    episode: Id
    at: datetime


class EpisodeClose(BaseModel):
    key: Key
    at: datetime


class EpisodeOut(BaseModel):
    key: str
    episode: str | None  # the open episode, if any


class Changed(BaseModel):
    """The compare-and-set answer of the SQL store, unchanged: True means this request won."""

    changed: bool


class FiringClaimed(BaseModel):
    claimed: bool
    id: str  # the firing's id in the store (a re-claimed failed firing keeps its first id)
