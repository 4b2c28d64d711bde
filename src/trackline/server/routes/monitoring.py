"""Monitoring over REST: drift reports, the artifacts of a task's runs in a window, and the
bookkeeping of trigger policies (episodes and firings). ``HttpStore`` implements
``MonitoringStore`` over these endpoints; each one calls the SQL store's method of that name.

Roles: readers read; writers store drift reports and keep the trigger bookkeeping (so
``trackline drift`` and ``trackline monitor run`` need a writer token). The answers of the
compare-and-set writes (open/close an episode, claim a firing) are the SQL store's, unchanged.
A finished firing is appended to the audit log here, with the token's name as actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ...model.monitoring import DriftReport, TriggerFiring, WindowArtifact
from ...monitoring.triggers.engine import audit_firing
from ...store.protocols import MonitoringStore
from ..access import Principal, Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody, WriteResult
from ..schemas_monitoring import (
    Changed,
    DriftReportIn,
    EpisodeClose,
    EpisodeOpen,
    EpisodeOut,
    FiringClaimed,
    Status,
    TriggerFiringIn,
)

router = APIRouter(
    tags=["monitoring"],
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
READ = require(Role.READER, anonymous_read=True)
WRITE = require(Role.WRITER)
Limit = Annotated[int, Query(ge=1, le=10_000)]
Text = Annotated[str, Query(min_length=1, max_length=512)]


def _mon(request: Request) -> MonitoringStore:
    return get_ctx(request).store


# -- drift reports ------------------------------------------------------------------------------
@router.post("/drift-reports", response_model=WriteResult)
def write_drift_report(report: DriftReportIn, request: Request, _=WRITE) -> WriteResult:
    """Store a report with its links to the artifacts of both sides (idempotent by id)."""
    _mon(request).write_drift_report(report)
    return WriteResult(kind="drift_report", id=report.id)


@router.get("/drift-reports", response_model=list[DriftReport])
def list_drift_reports(
    request: Request,
    _=READ,
    limit: Limit = 100,
    artifact: Annotated[str | None, Query(max_length=128)] = None,
) -> list[DriftReport]:
    """Newest first; with ``artifact`` (a digest) only the reports that compared it."""
    return _mon(request).list_drift_reports(artifact, limit)


@router.get(
    "/drift-reports/{ref}", response_model=DriftReport, responses={404: {"model": ErrorBody}}
)
def get_drift_report(ref: str, request: Request, _=READ) -> DriftReport:
    """One report by id or unique id prefix."""
    return _mon(request).get_drift_report(ref)


@router.get("/window-artifacts", response_model=list[WindowArtifact])
def window_artifacts(
    request: Request,
    task: Text,
    direction: Literal["input", "output"],
    _=READ,
    slot: Annotated[str | None, Query(max_length=512)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[WindowArtifact]:
    """What task ``task`` read or wrote in runs started in ``[since, until)``, newest run first,
    with full artifact records (profiles included): the data ``task:NAME/SLOT@WINDOW`` means."""
    items = _mon(request).window_artifacts(task, direction, slot or None, since, until, limit)
    return [WindowArtifact(run_id=r, slot=s, run_started=t, artifact=a) for r, s, t, a in items]


# -- trigger episodes ---------------------------------------------------------------------------
@router.post("/trigger-episodes/open", response_model=Changed)
def open_episode(body: EpisodeOpen, request: Request, _=WRITE) -> Changed:
    """Compare-and-set: ``changed`` is true only for the request that opened the episode."""
    return Changed(changed=_mon(request).open_episode(body.key, body.episode, body.at))


@router.get("/trigger-episodes/current", response_model=EpisodeOut)
def current_episode(request: Request, key: Text, _=READ) -> EpisodeOut:
    return EpisodeOut(key=key, episode=_mon(request).current_episode(key))


@router.post("/trigger-episodes/close", response_model=Changed)
def close_episode(body: EpisodeClose, request: Request, _=WRITE) -> Changed:
    """``changed`` is true if an episode was open (and is closed now)."""
    return Changed(changed=_mon(request).close_episode(body.key, body.at))


# -- trigger firings ----------------------------------------------------------------------------
@router.post("/trigger-firings/claim", response_model=FiringClaimed)
def claim_firing(body: TriggerFiringIn, request: Request, _=WRITE) -> FiringClaimed:
    """Insert a firing by idempotency key, or re-claim a failed one. ``claimed`` is false when
    another evaluation fired (or is firing) for this key."""
    claimed = _mon(request).claim_firing(body)  # a re-claim sets body.id to the stored id
    return FiringClaimed(claimed=claimed, id=body.id)


@router.post("/trigger-firings/finish", response_model=WriteResult)
def finish_firing(
    body: TriggerFiringIn, request: Request, principal: Principal = WRITE
) -> WriteResult:
    """Record the outcome of a firing (or a dry run) and append it to the audit log as
    ``trigger.<status>``; repeating the same outcome changes nothing and is not logged again."""
    mon = _mon(request)
    before = mon.get_firing(body.key)
    mon.finish_firing(body)
    if before is None or (before.status, before.finished_at) != (body.status, body.finished_at):
        audit_firing(mon, body, actor=principal.name)
    return WriteResult(kind="trigger_firing", id=body.id)


@router.get("/trigger-firings", response_model=list[TriggerFiring])
def list_firings(
    request: Request,
    _=READ,
    limit: Limit = 100,
    policy: Annotated[str | None, Query(max_length=512)] = None,
) -> list[TriggerFiring]:
    """Newest first."""
    return _mon(request).list_firings(policy or None, limit)


@router.get("/trigger-firings/by-key", response_model=TriggerFiring | None)
def get_firing(request: Request, key: Text, _=READ) -> TriggerFiring | None:
    """The firing with this idempotency key, or ``null``."""
    return _mon(request).get_firing(key)


@router.get("/trigger-firings/last", response_model=TriggerFiring | None)
def last_firing(
    request: Request,
    policy: Text,
    rule: Text,
    _=READ,
    status: Annotated[list[Status] | None, Query()] = None,
) -> TriggerFiring | None:
    """The newest firing of a rule with one of these statuses (default ``fired``), or ``null``."""
    return _mon(request).last_firing(policy, rule, tuple(status or ("fired",)))
