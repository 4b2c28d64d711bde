"""Token administration over HTTP (admin) and ``whoami`` (any valid token)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..access import Principal, Role, TokenInfo
from ..access.tokens import ANONYMOUS
from ..auth import authenticate, require
from ..context import get_ctx
from ..schemas import ErrorBody, TokenCreate, TokenCreated, WhoAmI

router = APIRouter(
    tags=["tokens"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
)
ADMIN = require(Role.ADMIN)


@router.get("/whoami", response_model=WhoAmI)
def whoami(request: Request) -> WhoAmI:
    """The caller's token name and role (``anonymous`` when the server allows anonymous reads)."""
    p = authenticate(request, Role.READER, anonymous_ok=True)
    return WhoAmI(name=p.name, role=p.role, anonymous=p.name == ANONYMOUS and p.token_id is None)


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(request: Request, principal: Principal = ADMIN) -> list[TokenInfo]:
    return get_ctx(request).tokens.list()


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, request: Request, principal: Principal = ADMIN) -> TokenCreated:
    ctx = get_ctx(request)
    secret, info = ctx.tokens.create(body.name, body.role, created_by=principal.name)
    ctx.audit.record(
        principal.name,
        "token.create",
        target=info.name,
        detail={"role": info.role, "token_id": info.id},
    )
    return TokenCreated(token=secret, info=info)


@router.delete("/tokens/{ref}", response_model=list[TokenInfo])
def revoke_token(ref: str, request: Request, principal: Principal = ADMIN) -> list[TokenInfo]:
    """Revoke the active token(s) with this id or name."""
    ctx = get_ctx(request)
    revoked = ctx.tokens.revoke(ref)
    for info in revoked:
        ctx.audit.record(
            principal.name,
            "token.revoke",
            target=info.name,
            detail={"role": info.role, "token_id": info.id},
        )
    return revoked
