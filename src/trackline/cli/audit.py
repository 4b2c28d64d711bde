"""``trackline audit``: read the append-only audit log and check its hash chain."""

from __future__ import annotations

import click

from .main import cli, client
from .output import emit_json, fmt_time, table


@cli.group()
def audit() -> None:
    """The hash-chained log of registrations, evaluations, decisions, promotions and alias moves."""


@audit.command()
@click.option(
    "--anchor", metavar="SEQ:HASH", help="A chain head recorded earlier that must still be there."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx, anchor, as_json):
    """Recompute the chain; exit 1 if any entry was edited or deleted."""
    from ..audit import verify_audit
    from ..errors import InvalidInput

    pinned = None
    if anchor:
        seq, sep, digest = anchor.partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            raise InvalidInput(f"--anchor {anchor!r} must look like SEQ:HASH (64 hex characters)")
        pinned = (int(seq), digest)
    report = verify_audit(store=client(ctx).store, anchor=pinned)
    if as_json:
        emit_json(report)
    elif report.ok:
        click.echo(
            f"audit log intact: {report.entries} entries, chain head {report.head_seq} "
            f"{report.head_hash}"
        )
    else:
        click.echo(
            f"audit log BROKEN ({report.entries} entries, head says {report.head_seq}):", err=True
        )
        for problem in report.problems:
            click.echo(f"  - {problem}", err=True)
    if not report.ok:
        raise SystemExit(1)


@audit.command("log")
@click.option("--model", help="Only entries about this model.")
@click.option(
    "--limit", type=click.IntRange(1, None), default=None, help="Only the newest N entries."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def log_(ctx, model, limit, as_json):
    """Entries oldest first."""
    from ..audit import audit_log

    entries = audit_log(model=model, limit=limit, store=client(ctx).store)
    if as_json:
        emit_json(entries)
        return
    table(
        ["seq", "at", "actor", "action", "model", "details"],
        [
            [
                e.seq,
                fmt_time(e.at),
                e.actor,
                e.action,
                f"{e.model}/{e.version}" if e.model and e.version else (e.model or ""),
                _details(e),
            ]
            for e in entries
        ],
    )


def _details(e) -> str:
    d = e.data
    if e.action == "alias.moved":
        before = "empty" if d.get("from") is None else d.get("from")
        return f"@{d.get('alias')}: {before} -> {d.get('to')}"
    if e.action == "gate.decision":
        return f"{d.get('policy_name')}: {d.get('verdict')}"
    if e.action in ("promotion.refused", "promotion.conflict"):
        return f"@{d.get('alias')}: " + str(
            d.get("reason") or f"expected {d.get('expected')}, found {d.get('found')}"
        )
    if e.action == "evaluation.logged":
        return f"on {d.get('dataset_name') or str(d.get('dataset_digest'))[:12]}"
    if e.action == "model.verified":
        return ("ok " if d.get("ok") else "MISMATCH ") + str(d.get("path"))
    if e.action == "model.registered":
        return str(d.get("digest", ""))[:16]
    return ""
