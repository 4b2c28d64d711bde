"""What a store can do, as small typed protocols a backend implements.

``RunStore`` is what every backend has (runs, artifacts, lineage). ``RegistryStore``,
``AuditStore`` and ``MonitoringStore`` are capabilities: the SQL store and the HTTP store have
them, the no-op store has none. Callers ask for a capability with ``trackline.store.capability``
(which looks through the fail-safe wrapper and names what is missing), never by probing
attributes.

Writes are idempotent: records carry client-generated ids, so writing the same record twice
(a spool replay, a retried request, a decorator and a listener describing the same task run)
never duplicates anything.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ..model.monitoring import DriftReport, TriggerFiring
from ..model.registry import (
    AliasEvent,
    AliasMove,
    AuditEntry,
    Evaluation,
    Expectation,
    GateDecision,
    ModelSummary,
    ModelVersion,
)
from ..model.runs import (
    Artifact,
    ArtifactLocation,
    FolderFile,
    LineageGraph,
    PipelineRun,
    RunQuery,
    TaskRun,
)
from ..query.spec import Search, SearchResult

__all__ = [
    "AuditStore",
    "BatchRunStore",
    "LocationStore",
    "LineageEventStore",
    "MonitoringStore",
    "RegistryStore",
    "RemoteRules",
    "RunStore",
    "SearchStore",
    "WindowItem",
]

WindowItem = tuple[str, str, datetime | None, Artifact]  # (run id, slot, run started, artifact)


@runtime_checkable
class BatchRunStore(Protocol):
    """Many task and pipeline runs in one call, each with its own outcome."""

    @abstractmethod
    def write_records(self, records: Sequence[TaskRun | PipelineRun]) -> list[Exception | None]:
        """Write ``records`` in order: one entry per record, ``None`` when written, else the
        refusal (an error ``quarantine.is_refusal`` accepts). Raises only when the store is
        unavailable, and then nothing is known to be written (resending is safe: writes are
        idempotent)."""


@runtime_checkable
class RunStore(Protocol):
    """Runs, pipeline runs, artifacts and lineage: what every backend stores."""

    url: str

    # -- writes ---------------------------------------------------------------------------
    @abstractmethod
    def write_task_run(self, run: TaskRun) -> None:
        """Insert or merge one task run with its params, artifacts, events, metrics, atomically.

        Merge rule when the id exists: a terminal status beats ``crashed`` beats ``running``;
        fields the incoming record leaves empty keep their stored value; child rows are unioned.
        """

    @abstractmethod
    def write_pipeline_run(self, run: PipelineRun) -> None:
        """Insert or merge one pipeline run (same status rule as task runs)."""

    @abstractmethod
    def heartbeat(
        self, task_run_ids: Sequence[str], pipeline_run_ids: Sequence[str], at: datetime
    ) -> None:
        """Extend the lease of running records."""

    @abstractmethod
    def reap(self, stale_before: datetime) -> list[str]:
        """Mark running records whose lease expired (or whose local process died) ``crashed``."""

    # -- reads ----------------------------------------------------------------------------
    @abstractmethod
    def list_runs(self, query: RunQuery) -> list[TaskRun]:
        """Run summaries (no params, artifacts or metrics), newest first by default."""

    @abstractmethod
    def get_run(self, ref: str) -> TaskRun:
        """One run in full; ``ref`` is an id or a unique prefix of one."""

    @abstractmethod
    def list_pipeline_runs(
        self, pipeline: str | None = None, limit: int = 100
    ) -> list[PipelineRun]: ...

    @abstractmethod
    def get_pipeline_run(self, ref: str) -> PipelineRun: ...

    @abstractmethod
    def list_artifacts(self, kind: str | None = None, limit: int = 100) -> list[Artifact]: ...

    @abstractmethod
    def get_artifact(self, ref: str) -> Artifact:
        """One artifact by digest, unique digest prefix, or name."""

    @abstractmethod
    def lineage(
        self, ref: str, direction: str = "upstream", depth: int | None = None
    ) -> LineageGraph:
        """The closure from a run or artifact, expanding each node once, set-based per hop."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections."""


@runtime_checkable
class SearchStore(Protocol):
    """The search language over task runs and pipeline runs (``trackline.query``).

    Both methods raise ``QueryError`` (HTTP 422) for a malformed search, with the same message
    on every backend.
    """

    @abstractmethod
    def search_runs(self, search: Search) -> SearchResult:
        """Task runs matching ``search.where``, ordered, limited, with the requested columns
        (or groups with aggregates when ``search.group_by``/``search.agg`` are set)."""

    @abstractmethod
    def search_pipelines(self, search: Search) -> SearchResult:
        """Pipeline runs; params and metrics are addressed by task name
        (``params.train.lr``)."""


@runtime_checkable
class LocationStore(Protocol):
    """Where bytes were seen (every location, run, direction and time) and folder manifests."""

    @abstractmethod
    def artifact_locations(self, ref: str) -> list[ArtifactLocation]:
        """Every observation of an artifact (digest, unique prefix), oldest first."""

    @abstractmethod
    def locations_at(self, uri: str, limit: int = 20) -> list[ArtifactLocation]:
        """Observations at one location (``file://`` URI), newest first."""

    @abstractmethod
    def folder_manifest(self, digest: str) -> list[FolderFile]:
        """The files of a recorded folder; empty when no manifest was kept."""


@runtime_checkable
class RegistryStore(Protocol):
    """Model versions, aliases, evaluations and gate decisions.

    Every write that changes what may be deployed appends to the audit log in the same
    transaction, so a backend with a registry is also an ``AuditStore``.
    """

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
        producer_rule: str | None = None,
    ) -> ModelVersion:
        """Register ``artifact`` as the next version of ``name`` (1, 2, 3…).

        Idempotent by content: when this digest already is a version of ``name``, that version is
        returned unchanged. With ``run_id`` the artifact is also recorded as an output of that run
        (``producer_rule`` says how the caller found it); without, the version links to the
        newest successful run that output these bytes, with the rule that found it.
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

    @abstractmethod
    def alias_events(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every move, refusal and lost race of ``name``'s aliases (or of one), oldest first,
        from the audit log, each with the verdict of the decision it cited."""

    # -- evaluations and decisions ----------------------------------------------------------
    @abstractmethod
    def write_evaluation(self, evaluation: Evaluation, artifacts: list[Artifact]) -> None:
        """Store an evaluation (and the model/dataset artifact records it refers to)."""

    @abstractmethod
    def get_evaluation(self, evaluation_id: str) -> Evaluation:
        """One evaluation by id (``NotFound`` if there is none)."""

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


@runtime_checkable
class AuditStore(Protocol):
    """The append-only, hash-chained audit log (promotions, decisions, access)."""

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


@runtime_checkable
class MonitoringStore(Protocol):
    """Drift reports, windows of a task's data, trigger episodes and firings."""

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


@runtime_checkable
class LineageEventStore(Protocol):
    """OpenLineage events received from other producers, kept whole (the SQL store has it)."""

    @abstractmethod
    def add_openlineage_event(
        self,
        run_id: str,
        event_type: str,
        event_time: str,
        job_namespace: str,
        job_name: str,
        payload: dict[str, Any],
    ) -> bool:
        """Keep one event; False when (run id, event type, event time) was already kept."""

    @abstractmethod
    def openlineage_events(self, run_id: str) -> list[dict[str, Any]]:
        """Every kept event of one OpenLineage run, in event-time order."""

    @abstractmethod
    def pipeline_run_for_openlineage(self, run_id: str) -> str | None:
        """The id of the pipeline run whose ``external_ids`` name this OpenLineage run id."""


@runtime_checkable
class RemoteRules(Protocol):
    """A registry that applies the registry's rules itself, where the data is (the team server).

    A gate check, a promotion and an evaluation's consistency checks are then one request each:
    the verdict is computed once, by the same library code, against the server's records.
    """

    @abstractmethod
    def run_gate(
        self,
        name: str,
        version: int,
        policy: dict[str, Any],
        *,
        policy_file: str | None = None,
        decision_id: str | None = None,
    ) -> GateDecision:
        """Check ``policy`` against the version and record the decision (pass or fail)."""

    @abstractmethod
    def promote_version(
        self,
        name: str,
        version: int,
        *,
        alias: str,
        policy: dict[str, Any] | None = None,
        decision_id: str | None = None,
        reason: str | None = None,
    ) -> AliasMove:
        """Move ``alias`` to the version on a passing decision (or on ``policy`` checked now)."""
