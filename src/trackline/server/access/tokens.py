"""API tokens: created once (the secret is shown only then), stored as a sha256, revocable.

A token is ``tl_`` + 43 url-safe characters (256 random bits). Verifying one is one indexed
``SELECT`` by hash, so a revocation takes effect on the very next request in every worker.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel

from ...errors import Conflict, InvalidInput, NotFound
from ...model.runs import utcnow
from ...store.sql.access_tables import ApiTokenRow
from ...store.sql.dialect import utc
from .roles import Role, parse_role

__all__ = ["Principal", "TokenInfo", "TokenStore", "hash_secret"]

T = ApiTokenRow.__table__
_NAME = re.compile(r"^[\w.@:+-][\w .@:+-]*$")
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's name and role (or the anonymous reader)."""

    name: str
    role: str
    token_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.token_id is None


class TokenInfo(BaseModel):
    """What ``tokens list`` shows: never the secret, only its first characters."""

    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime | None = None
    created_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row) -> TokenInfo:
    m = row._mapping
    return TokenInfo(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        prefix=m["prefix"],
        created_at=utc(m["created_at"]),
        created_by=m["created_by"],
        revoked_at=utc(m["revoked_at"]),
    )


class TokenStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def for_url(cls, url: str) -> TokenStore:
        """Tokens of the SQL store at ``url`` (its schema is brought up to date first)."""
        from ...store.sql.engine import create_engine
        from ...store.sql.migrate import ensure_schema

        engine = create_engine(url)
        ensure_schema(engine)
        return cls(engine)

    def create(
        self, name: str, role: str | Role, created_by: str | None = None
    ) -> tuple[str, TokenInfo]:
        """A new token; returns ``(secret, info)``. Names of active tokens are unique."""
        if not isinstance(name, str) or len(name) > 255 or not _NAME.match(name):
            raise InvalidInput(
                f"token name {name!r} must be 1-255 letters, digits, spaces or ._@:+- "
                "(and not start with a space)"
            )
        role = parse_role(str(role))
        secret = "tl_" + secrets.token_urlsafe(32)
        row = {
            "id": uuid.uuid4().hex,
            "name": name,
            "role": role.value,
            "token_hash": hash_secret(secret),
            "prefix": secret[:10],
            "created_at": utcnow(),
            "created_by": created_by,
            "revoked_at": None,
        }
        taken = Conflict(
            f"an active token named {name!r} exists; revoke it first or pick another name"
        )
        try:
            with (
                self.engine.connect().execution_options(trackline_write=True) as conn,
                conn.begin(),
            ):
                exists = conn.execute(
                    sa.select(T.c.id).where(T.c.name == name, T.c.revoked_at.is_(None))
                ).first()
                if exists is not None:
                    raise taken
                conn.execute(sa.insert(T), row)
        except sa.exc.IntegrityError as exc:
            # Two creators raced past the check: the unique index of active names decides.
            raise taken from exc
        return secret, _info(_Row(row))

    def list(self, include_revoked: bool = True) -> list[TokenInfo]:
        stmt = sa.select(T).order_by(T.c.created_at, T.c.id)
        if not include_revoked:
            stmt = stmt.where(T.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_info(r) for r in conn.execute(stmt)]

    def revoke(self, ref: str) -> list[TokenInfo]:
        """Revoke the active token(s) with this id, or this name. Returns what was revoked."""
        with self.engine.connect().execution_options(trackline_write=True) as conn, conn.begin():
            rows = conn.execute(
                sa.select(T).where(sa.or_(T.c.id == ref, T.c.name == ref), T.c.revoked_at.is_(None))
            ).all()
            if not rows:
                raise NotFound(f"no active token with id or name {ref!r}")
            now = utcnow()
            conn.execute(
                sa.update(T).where(T.c.id.in_([r.id for r in rows])).values(revoked_at=now)
            )
        revoked = [_info(r) for r in rows]
        for info in revoked:
            info.revoked_at = now
        return revoked

    def verify(self, secret: str) -> Principal | None:
        """The principal of an active token, or None for unknown and revoked ones."""
        if not secret.startswith("tl_") or len(secret) > 128:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(T.c.id, T.c.name, T.c.role).where(
                    T.c.token_hash == hash_secret(secret), T.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else Principal(name=row.name, role=row.role, token_id=row.id)


class _Row:
    """Lets ``_info`` read a plain dict like a result row."""

    def __init__(self, data: dict) -> None:
        self._mapping = data
