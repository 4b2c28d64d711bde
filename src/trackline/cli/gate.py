"""``trackline gate``: check a model version against a policy (exit 0 pass, 1 fail, 2 error)."""

from __future__ import annotations

import click

from .main import cli, client
from .output import emit_json


@cli.group()
def gate() -> None:
    """Promotion gates: policies checked against recorded evaluations and lineage."""


@gate.command()
@click.argument("model")
@click.argument("version")
@click.option(
    "--policy", required=True, type=click.Path(dir_okay=False), help="The policy YAML file."
)
@click.option("--json", "as_json", is_flag=True, help="The recorded decision as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="A table for a pull-request comment.")
@click.pass_context
def check(ctx, model, version, policy, as_json, as_markdown):
    """Check MODEL VERSION (a number or an alias) and record the decision."""
    from ..gates import check_gate, decision_markdown, decision_text

    if as_json and as_markdown:
        raise click.UsageError("choose --json or --markdown")
    decision = check_gate(model, policy, version, store=client(ctx).store)
    if as_json:
        emit_json(decision)
    elif as_markdown:
        click.echo(decision_markdown(decision))
    else:
        click.echo(decision_text(decision))
    raise SystemExit(0 if decision.passed else 1)


@gate.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def validate(policy, as_json):
    """Validate a policy file without checking anything (exit 2 with the problems)."""
    from ..gates import load_policy

    pol = load_policy(policy)
    if as_json:
        emit_json({"name": pol.name, "digest": pol.digest, "policy": pol.canonical()})
        return
    click.echo(f"{policy}: policy {pol.name!r} is valid (digest {pol.digest[:16]})")
    for i, rule in enumerate(pol.rules, 1):
        click.echo(f"  {i}. {rule.describe()}")


@gate.command()
@click.argument("decision_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--markdown", "as_markdown", is_flag=True)
@click.pass_context
def show(ctx, decision_id, as_json, as_markdown):
    """A recorded decision (id or unique prefix)."""
    from ..gates import decision_markdown, decision_text

    decision = client(ctx).registry.get_decision(decision_id)
    if as_json:
        emit_json(decision)
    else:
        click.echo(decision_markdown(decision) if as_markdown else decision_text(decision))
