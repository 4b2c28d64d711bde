"""The audit log: the hash-chained log of registry changes, denied requests and privileged
actions. Never readable anonymously."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ...audit.api import verify_audit
from ...errors import InvalidInput
from ...model.limits import AUDIT_DATA_BYTES, INT64_MAX, check_json
from ...model.registry import AuditEntry, AuditReport
from ...registry.refs import check_name
from ..access import AuditEvent, Principal, Role, allows
from ..auth import deny, require
from ..context import get_ctx
from ..schemas import ErrorBody
from ..schemas_registry import AuditAppendIn, AuditHead

router = APIRouter(tags=["audit"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
READ_AUDIT = require(Role.READER)  # no anonymous_read: the audit log always needs a token
ModelFilter = Annotated[str | None, Query(max_length=255)]
# Who may report which client-side event: anyone deploying verifies; promoting needs a writer.
_APPEND_ROLE = {"model.verified": Role.READER, "promotion.refused": Role.WRITER}


@router.get("/audit", response_model=list[AuditEvent])
def audit_log(
    request: Request,
    _=READ_AUDIT,
    actor: Annotated[str | None, Query(max_length=255)] = None,
    action: Annotated[str | None, Query(max_length=128)] = None,
    outcome: Literal["allowed", "denied"] | None = None,
    model: ModelFilter = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AuditEvent]:
    """Newest first, for people: outcome and target spelled out."""
    return get_ctx(request).audit.list(
        limit=limit,
        actor=actor,
        action=action,
        outcome=outcome,
        model=check_name(model) if model else None,
    )


@router.get("/audit/entries", response_model=list[AuditEntry])
def audit_entries(
    request: Request,
    _=READ_AUDIT,
    model: ModelFilter = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    actor: Annotated[str | None, Query(max_length=255)] = None,
    action: Annotated[str | None, Query(max_length=128)] = None,
    before: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
) -> list[AuditEntry]:
    """The chain itself in sequence order (with ``limit``: the newest ``limit`` entries; with
    ``before``: only entries older than that sequence number, to page backwards)."""
    return get_ctx(request).audit.store.audit_entries(
        model=check_name(model) if model else None,
        limit=limit,
        actor=actor,
        action=action,
        before=before,
    )


@router.get("/audit/head", response_model=AuditHead)
def audit_head(request: Request, _=READ_AUDIT) -> AuditHead:
    seq, digest = get_ctx(request).audit.store.audit_head()
    return AuditHead(seq=seq, hash=digest)


@router.get("/audit/verify", response_model=AuditReport)
def audit_verify(request: Request, _=READ_AUDIT) -> AuditReport:
    """Walk the chain on the server (a client can do the same from ``/audit/entries``)."""
    return verify_audit(store=get_ctx(request).audit.store)


@router.post("/audit/entries", response_model=AuditEntry, status_code=201)
def audit_append(
    body: AuditAppendIn, request: Request, principal: Principal = READ_AUDIT
) -> AuditEntry:
    """Events only a client witnesses: a verified deployment, a promotion it refused itself."""
    ctx = get_ctx(request)
    needed = _APPEND_ROLE[body.action]
    if not allows(principal.role, needed):
        deny(request, principal.name, f"role {principal.role} < {needed.value}", needed)
    check_json(body.data, "body.data", max_bytes=AUDIT_DATA_BYTES)
    # Only about things that exist: a model version, so the log cannot be filled with fiction.
    if body.model is None or body.version is None:
        raise InvalidInput("an audit entry names the model and version it is about")
    ctx.store.get_model_version(check_name(body.model), body.version)  # NotFound: 404
    return ctx.audit.store.append_audit(
        body.action,
        actor=principal.name,
        model=check_name(body.model) if body.model else None,
        version=body.version,
        data=body.data,
    )
