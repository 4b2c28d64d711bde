"""The audit log: denied requests and privileged actions. Never readable anonymously."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ..access import AuditEvent, Role
from ..auth import require
from ..context import get_ctx
from ..schemas import ErrorBody

router = APIRouter(tags=["audit"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
READ_AUDIT = require(Role.READER)  # no anonymous_read: the audit log always needs a token


@router.get("/audit", response_model=list[AuditEvent])
def audit_log(request: Request, _=READ_AUDIT,
              actor: Annotated[str | None, Query(max_length=255)] = None,
              action: Annotated[str | None, Query(max_length=128)] = None,
              outcome: Literal["allowed", "denied"] | None = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[AuditEvent]:
    """Newest first."""
    return get_ctx(request).audit.list(limit=limit, actor=actor, action=action, outcome=outcome)
