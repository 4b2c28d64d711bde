"""``trackline monitor``: evaluate trigger policies, list firings, check metric degradation."""

from __future__ import annotations

import sys

import click

from .main import cli, client
from .output import emit_json, fmt_time, table


@cli.group()
def monitor() -> None:
    """Retraining triggers: run a policy once (cron, Airflow or Prefect task), list firings."""


@monitor.command("run")
@click.option(
    "--policy",
    "policy_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Trigger policy YAML.",
)
@click.option("--dry-run", is_flag=True, help="Evaluate and record, but start nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def run(ctx, policy_file, dry_run, as_json):
    """Evaluate every rule of a policy once and act on breaches (once per episode).

    Exit status: 0 evaluated (whether or not anything fired), 1 an action failed,
    2 the policy is invalid or a condition could not be evaluated.
    """
    from ..monitoring.triggers import evaluate_policy, load_policy

    policy = load_policy(policy_file)
    outcomes = evaluate_policy(policy, store=client(ctx).store, dry_run=True if dry_run else None)
    if as_json:
        emit_json(
            {
                "policy": policy.name,
                "dry_run": dry_run or policy.dry_run,
                "rules": [o.model_dump(mode="json") for o in outcomes],
            }
        )
    else:
        table(
            ["rule", "condition", "status", "episode", "message"],
            [
                [
                    o.rule,
                    {True: "met", False: "clear", None: "error"}[o.condition],
                    o.status,
                    (o.episode or "")[:12],
                    o.message,
                ]
                for o in outcomes
            ],
        )
    if any(o.status == "error" for o in outcomes):
        sys.exit(2)
    sys.exit(1 if any(o.status == "failed" for o in outcomes) else 0)


@monitor.command("validate")
@click.option("--policy", "policy_file", required=True, type=click.Path(dir_okay=False))
def validate(policy_file):
    """Check a policy file and say what it would do."""
    from ..monitoring.triggers import load_policy

    policy = load_policy(policy_file)
    click.echo(f"policy {policy.name}: {len(policy.rules)} rule(s), ok")
    for rule in policy.rules:
        cond = "drift" if rule.when.drift else "degradation"
        click.echo(
            f"  {rule.name}: when {cond} → {rule.action.type} "
            f"(cooldown {policy.cooldown_of(rule):g}s)"
        )


@monitor.command("firings")
@click.option("--policy", help="Only firings of this policy.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def firings(ctx, policy, limit, as_json):
    """Every recorded firing (and dry run), newest first, with what it started."""
    from ..monitoring.check import monitoring_store

    found = monitoring_store(client(ctx).store).list_firings(policy, limit)
    if as_json:
        emit_json(found)
        return
    table(
        ["created", "policy", "rule", "status", "episode", "started / error"],
        [
            [
                fmt_time(f.created_at),
                f.policy,
                f.rule,
                f.status,
                f.episode[:12],
                f.error or _started(f.started),
            ]
            for f in found
        ],
    )


def _started(started: dict | None) -> str:
    if not started:
        return ""
    for key in ("dag_run_id", "flow_run_id", "asset_event_id", "event_id", "status"):
        if started.get(key) is not None:
            return f"{started.get('system', '')} {key}={started[key]}"
    return str(started)


@monitor.command("degradation")
@click.argument("metric")
@click.option(
    "--model", help="A registered model: churn@production, churn/3 (evaluations from the registry)."
)
@click.option("--dataset", help="With --model: only evaluations on this dataset.")
@click.option(
    "--window",
    default="last",
    show_default=True,
    help="With --model: later evaluations to use (last, last:N, SINCE..UNTIL).",
)
@click.option("--baseline", help="task:NAME@WINDOW of the baseline evaluation, or a number.")
@click.option("--current", help="task:NAME@WINDOW of production / re-evaluation runs.")
@click.option("--absolute", type=float, help="Trip when worse by more than this many units.")
@click.option(
    "--relative", type=float, help="Trip when worse by more than this fraction of the baseline."
)
@click.option(
    "--sigmas", type=float, help="Trip when worse by more than k × the baseline's spread."
)
@click.option("--lower-is-better", is_flag=True, help="For losses and error rates.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def degradation(
    ctx,
    metric,
    model,
    dataset,
    window,
    baseline,
    current,
    absolute,
    relative,
    sigmas,
    lower_is_better,
    as_json,
):
    """Has METRIC got worse than the baseline? Exit 0 no, 1 yes, 2 error."""
    from ..monitoring.degradation import check_degradation
    from ..monitoring.triggers.policy import DegradationCondition
    from ..validation import validate

    base: str | float | None = baseline
    if baseline is not None:
        try:
            base = float(baseline)
        except ValueError:
            base = baseline
    cond = validate(
        DegradationCondition,
        {
            "metric": metric,
            "model": model,
            "dataset": dataset,
            "window": window,
            "baseline": base,
            "current": current,
            "absolute": absolute,
            "relative": relative,
            "sigmas": sigmas,
            "higher_is_better": not lower_is_better,
        },
        "options",
        "degradation condition",
    )
    result = check_degradation(cond, store=client(ctx).store)
    if as_json:
        emit_json(result)
    else:
        click.echo(("DEGRADED: " if result.degraded else "ok: ") + result.message)
        table(
            ["check", "score", "threshold", "tripped"],
            [
                [
                    c.method,
                    "" if c.score is None else f"{c.score:.4g}",
                    f"{c.threshold:g}",
                    "yes" if c.tripped else "",
                ]
                for c in result.checks
            ],
        )
    sys.exit(1 if result.degraded else 0)
