"""``trackline tokens``: API tokens of a team server, managed on its SQL store (or, with an admin
token, through the server itself)."""

from __future__ import annotations

import getpass

import click

from .main import cli
from .output import emit_json, fmt_time, table


class _Tokens:
    """Token admin on a SQL store (directly) or a server URL (through the API, admin token)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = url.startswith(("http://", "https://"))
        if self.http:
            from ..config import settings
            from ..store.http import HttpStore

            self.remote = HttpStore(url, settings())
        else:
            from ..config import settings
            from ..server.access import ServerAuditLog, TokenStore
            from ..store.factory import open_store

            self.local = TokenStore.for_url(url)
            self.audit = ServerAuditLog(open_store(url, settings()))  # type: ignore[arg-type]
            self.actor = f"cli:{getpass.getuser()}"

    def create(self, name: str, role: str):
        from ..server.access import TokenInfo

        if self.http:
            body = self.remote._call("POST", "/tokens", json={"name": name, "role": role}).json()
            return body["token"], TokenInfo.model_validate(body["info"])
        secret, info = self.local.create(name, role, created_by=self.actor)
        self.audit.record(
            self.actor, "token.create", target=name, detail={"role": info.role, "token_id": info.id}
        )
        return secret, info

    def list(self):
        from ..server.access import TokenInfo

        if self.http:
            return [TokenInfo.model_validate(t) for t in self.remote._call("GET", "/tokens").json()]
        return self.local.list()

    def revoke(self, ref: str):
        from urllib.parse import quote

        from ..server.access import TokenInfo

        if self.http:
            return [
                TokenInfo.model_validate(t)
                for t in self.remote._call("DELETE", f"/tokens/{quote(ref, safe='')}").json()
            ]
        revoked = self.local.revoke(ref)
        for info in revoked:
            self.audit.record(
                self.actor,
                "token.revoke",
                target=info.name,
                detail={"role": info.role, "token_id": info.id},
            )
        return revoked


def _tokens(ctx: click.Context) -> _Tokens:
    from ..config import settings

    return _Tokens((ctx.find_root().obj or {}).get("store") or settings().store_url)


def _row(t) -> dict:
    return {
        "id": t.id,
        "name": t.name,
        "role": t.role,
        "prefix": t.prefix,
        "created_at": t.created_at.isoformat() if t.created_at else None,
        "created_by": t.created_by,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        "active": t.active,
    }


@cli.group()
def tokens() -> None:
    """API tokens of the team server (roles: reader, writer, approver, admin)."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(["reader", "writer", "approver", "admin"]))
@click.option(
    "--name", required=True, help="Who or what uses it (shown as the actor in the audit log)."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"token": ...} only.')
@click.pass_context
def create(ctx, role, name, as_json):
    """Create a token. Its secret is printed this once only; it is stored hashed."""
    secret, info = _tokens(ctx).create(name, role)
    if as_json:
        emit_json({"token": secret})
        return
    click.echo(secret)
    click.echo(
        f"created {info.role} token {info.name!r} (id {info.id});"
        " the secret above is shown only once",
        err=True,
    )


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx, as_json):
    """All tokens (never their secrets), revoked ones included."""
    found = _tokens(ctx).list()
    if as_json:
        emit_json([_row(t) for t in found])
        return
    table(
        ["id", "name", "role", "prefix", "created", "revoked"],
        [
            [
                t.id[:12],
                t.name,
                t.role,
                t.prefix + "…",
                fmt_time(t.created_at),
                fmt_time(t.revoked_at),
            ]
            for t in found
        ],
    )


@tokens.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def revoke(ctx, ref, as_json):
    """Revoke the active token(s) with this id or name; effective on the next request."""
    revoked = _tokens(ctx).revoke(ref)
    if as_json:
        emit_json([_row(t) for t in revoked])
        return
    for t in revoked:
        click.echo(f"revoked {t.role} token {t.name!r} (id {t.id})")
