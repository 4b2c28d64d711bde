"""Bearer-token authentication and role checks as FastAPI dependencies.

Every refusal is audit-logged (actor: the token's name, ``anonymous`` or ``invalid-token``)
before it is raised, so the audit log shows who tried what.
"""

from __future__ import annotations

from typing import NoReturn

from fastapi import Depends, Request

from ..errors import PermissionDenied, Unauthenticated
from .access import Principal, Role, allows
from .access.tokens import ANONYMOUS
from .context import get_ctx

__all__ = ["deny", "principal_of", "require"]

_HOW = "send 'Authorization: Bearer <token>' (an admin creates one with `trackline tokens create`)"


API_PREFIX = "/api/v1"  # where app.py mounts the REST routers


def _deny(request: Request, actor: str, reason: str, needed: Role) -> None:
    audit = get_ctx(request).audit
    route = getattr(request.scope.get("route"), "path", None) or request.url.path
    if request.url.path.startswith(API_PREFIX + "/") and not route.startswith(API_PREFIX + "/"):
        route = API_PREFIX + route  # FastAPI hands the included router's own template
    count = audit.denials.admit(actor, f"{request.method} {route}")
    if count is None:  # sampled: this (actor, route) was audited less than a minute ago
        return
    audit.record(
        actor,
        f"{request.method} {route}",  # the route's template: ids and digests go in ``target``
        target=request.url.path,
        outcome="denied",
        detail={
            "reason": reason,
            "needs": needed.value,
            "client": request.client.host if request.client else None,
            # denials of this actor on this route since the last entry, this one included
            "count": count,
        },
    )


def deny(request: Request, actor: str, reason: str, needed: Role) -> NoReturn:
    """Audit and refuse (403) a request whose check depends on its body, not just its route."""
    _deny(request, actor, reason, needed)
    raise PermissionDenied(
        f"token {actor!r} may not do this: {reason}; it needs role {needed.value!r} or higher"
    )


def authenticate(request: Request, needed: Role, anonymous_ok: bool) -> Principal:
    ctx = get_ctx(request)
    header = request.headers.get("authorization")
    if not header:
        if anonymous_ok and ctx.config.allow_anonymous_read:
            return Principal(name=ANONYMOUS, role=Role.READER.value)
        _deny(request, ANONYMOUS, "no token", needed)
        raise Unauthenticated(f"{request.method} {request.url.path} needs an API token: {_HOW}")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _deny(request, ANONYMOUS, "malformed Authorization header", needed)
        raise Unauthenticated(f"malformed Authorization header: {_HOW}")
    principal = ctx.tokens.verify(secret.strip())
    if principal is None:
        _deny(request, "invalid-token", "unknown or revoked token", needed)
        raise Unauthenticated("the API token is unknown or has been revoked")
    if not allows(principal.role, needed):
        _deny(request, principal.name, f"role {principal.role} < {needed.value}", needed)
        raise PermissionDenied(
            f"token {principal.name!r} has role {principal.role!r}; "
            f"{request.method} {request.url.path} needs role {needed.value!r} or higher"
        )
    return principal


def require(needed: Role, *, anonymous_read: bool = False):
    """A dependency that yields the caller's ``Principal`` or raises 401/403.

    ``anonymous_read`` marks record queries, which ``--allow-anonymous-read`` opens to callers
    without a token (a token that is sent is still checked).
    """

    def dependency(request: Request) -> Principal:
        principal = authenticate(request, needed, anonymous_read)
        request.state.principal = principal
        return principal

    return Depends(dependency)


def principal_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)
