"""The store-side interface of monitoring: drift reports, trigger episodes and firings.

A backend that supports monitoring inherits ``MonitoringStore`` next to ``Store``: the SQL store
does, and the HTTP store implements the same methods over the team server's REST API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from ..model.monitoring import DriftReport, TriggerFiring
from ..model.runs import Artifact

__all__ = ["MonitoringStore", "WindowItem"]

WindowItem = tuple[str, str, datetime | None, Artifact]  # (run id, slot, run started, artifact)


class MonitoringStore(ABC):
    # True when ``finish_firing`` also appends the firing to the audit log (the team server does,
    # with the token's name as actor); otherwise the trigger engine appends it.
    audits_firings: bool = False

    # -- drift reports ----------------------------------------------------------------------
    @abstractmethod
    def write_drift_report(self, report: DriftReport) -> None:
        """Store a report and its links to every reference and current artifact (idempotent)."""

    @abstractmethod
    def get_drift_report(self, ref: str) -> DriftReport:
        """One report by id or unique id prefix."""

    @abstractmethod
    def list_drift_reports(
        self, artifact: str | None = None, limit: int = 100
    ) -> list[DriftReport]:
        """Reports newest first; with ``artifact`` (a digest) only those linked to it."""

    @abstractmethod
    def window_artifacts(
        self,
        task: str,
        direction: str,
        slot: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int = 10_000,
    ) -> list[WindowItem]:
        """Artifacts task ``task`` read (``input``) or wrote (``output``) in runs started in
        ``[since, until)``, newest run first, with full records (profiles included)."""

    # -- trigger bookkeeping ---------------------------------------------------------------
    @abstractmethod
    def open_episode(self, key: str, episode: str, at: datetime) -> bool:
        """Open episode ``episode`` for condition ``key`` unless one is open (compare-and-set):
        True means this caller opened it and owns its single firing."""

    @abstractmethod
    def current_episode(self, key: str) -> str | None:
        """The open episode of ``key``, if any."""

    @abstractmethod
    def close_episode(self, key: str, at: datetime) -> bool:
        """End the open episode of ``key`` (the condition cleared); True if one was open."""

    @abstractmethod
    def claim_firing(self, firing: TriggerFiring) -> bool:
        """Insert a firing by idempotency key; a failed firing may be claimed again.
        False means another evaluation already fired (or is firing) for this key."""

    @abstractmethod
    def get_firing(self, key: str) -> TriggerFiring | None:
        """The firing with this idempotency key, if any."""

    @abstractmethod
    def finish_firing(self, firing: TriggerFiring) -> None:
        """Record the outcome (status, started run, error) of a claimed firing."""

    @abstractmethod
    def last_firing(
        self, policy: str, rule: str, statuses: tuple[str, ...] = ("fired",)
    ) -> TriggerFiring | None: ...

    @abstractmethod
    def list_firings(self, policy: str | None = None, limit: int = 100) -> list[TriggerFiring]: ...
