"""``trackline models``: list, show, register, evaluate, tag, promote and verify model versions."""

from __future__ import annotations

import json

import click

from ..errors import Conflict, InvalidInput
from .main import cli, client
from .output import emit_json, fail, fmt_time, table


def _store(ctx):
    return client(ctx).registry


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{what} {item!r} must look like KEY=VALUE")
        out[key] = value
    return out


@cli.group()
def models() -> None:
    """The model registry: versions, aliases, evaluations, promotion and verification."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_(ctx, as_json):
    """Registered models with their latest version and aliases."""
    from ..registry import list_models

    found = list_models(store=_store(ctx))
    if as_json:
        emit_json(found)
        return
    table(
        ["name", "versions", "latest", "aliases", "updated"],
        [
            [
                m.name,
                m.versions,
                m.latest_version,
                ", ".join(f"{a}→{v}" for a, v in m.aliases.items()),
                fmt_time(m.updated_at),
            ]
            for m in found
        ],
    )


@models.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, ref, as_json):
    """A model (NAME: its versions and aliases) or one version (NAME/3, NAME@ALIAS) in full."""
    from ..registry import model_versions, parse_ref, resolve_model

    store = _store(ctx)
    if "/" not in ref and "@" not in ref:
        versions = model_versions(ref, store=store)
        aliases = store.get_aliases(parse_ref(ref).name)
        if as_json:
            emit_json({"name": ref, "aliases": aliases, "versions": versions})
            return
        click.echo(
            f"model {ref}: {len(versions)} version(s); aliases: "
            + (", ".join(f"{a}→{v}" for a, v in aliases.items()) or "none")
        )
        table(
            ["version", "digest", "run", "aliases", "created", "by"],
            [
                [
                    v.version,
                    v.digest[:16],
                    (v.run_id or "")[:12],
                    ", ".join(v.aliases),
                    fmt_time(v.created_at),
                    v.actor,
                ]
                for v in versions
            ],
        )
        return
    mv = resolve_model(ref, store=store)
    evals = store.list_evaluations(model_digest=mv.digest)
    decisions = store.list_decisions(model_digest=mv.digest, limit=20)
    if as_json:
        emit_json({"version": mv, "evaluations": evals, "decisions": decisions})
        return
    click.echo(f"{mv.ref}  aliases: {', '.join(mv.aliases) or 'none'}")
    click.echo(f"  digest      {mv.digest}")
    click.echo(f"  uri         {mv.uri or ''}")
    click.echo(f"  run         {mv.run_id or '(none recorded)'}")
    click.echo(f"  registered  {fmt_time(mv.created_at)} by {mv.actor}")
    if mv.description:
        click.echo(f"  description {mv.description}")
    for k, v in {**mv.tags, **{f"meta.{k}": v for k, v in mv.metadata.items()}}.items():
        click.echo(f"  {k} = {v}")
    click.echo("evaluations:")
    for e in evals:
        metrics = ", ".join(f"{k}={v:g}" for k, v in e.metrics.items())
        click.echo(
            f"  {e.id[:12]} {fmt_time(e.created_at)}"
            f" on {e.dataset_name or e.dataset_digest[:12]}: {metrics}"
            + (f" (+{len(e.slices)} slices)" if e.slices else "")
        )
    click.echo("gate decisions:")
    for d in decisions:
        click.echo(
            f"  {d.id[:12]} {fmt_time(d.created_at)} {d.policy_name}: {d.verdict} (by {d.actor})"
        )


@models.command()
@click.argument("name")
@click.argument("model")
@click.option("--run", "run_id", help="The run that produced the model (id or unique prefix).")
@click.option("--description")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def register(ctx, name, model, run_id, description, tags, as_json):
    """Register MODEL (a file, a directory or an artifact digest) as the next version of NAME."""
    from ..registry import register_model

    mv = register_model(
        name,
        model,
        run=run_id,
        description=description,
        tags=_pairs(tags, "--tag"),
        store=_store(ctx),
    )
    if as_json:
        emit_json(mv)
    else:
        click.echo(
            f"{mv.ref}  digest {mv.digest[:16]}" + (f"  run {mv.run_id[:12]}" if mv.run_id else "")
        )


@models.command()
@click.argument("model")
@click.argument("version")
@click.option("--dataset", required=True, help="Dataset name, path or digest.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME=VALUE")
@click.option(
    "--metrics-file",
    type=click.Path(exists=True, dir_okay=False),
    help='JSON: {"metrics": {...}, "slices": {"eu": {...}}} (or just the metrics).',
)
@click.option("--dataset-name", help="The name rules use for this dataset (default: file stem).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evaluate(ctx, model, version, dataset, metrics, metrics_file, dataset_name, as_json):
    """Record an evaluation of MODEL VERSION (a number or an alias) computed elsewhere."""
    from ..registry import log_evaluation, parse_ref

    values: dict = {}
    slices = None
    if metrics_file:
        with open(metrics_file, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and "metrics" in data:
            values, slices = dict(data["metrics"] or {}), data.get("slices")
        else:
            values = data
    for key, raw in _pairs(metrics, "--metric").items():
        try:
            values[key] = float(raw)
        except ValueError:
            raise InvalidInput(f"--metric {key}={raw!r}: the value must be a number") from None
    ref = str(parse_ref(model, version))
    ev = log_evaluation(
        ref,
        dataset=dataset,
        metrics=values,
        slices=slices,
        dataset_name=dataset_name,
        store=_store(ctx),
    )
    if as_json:
        emit_json(ev)
    else:
        click.echo(f"evaluation {ev.id} of {ref} on {ev.dataset_name or ev.dataset_digest[:12]}")


@models.command()
@click.argument("ref")
@click.argument("tags", nargs=-1, metavar="[KEY=VALUE|KEY=]...")
@click.option("--description")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tag(ctx, ref, tags, description, as_json):
    """Set tags (KEY= removes one) and the description of a version (NAME/3 or NAME@ALIAS)."""
    from ..registry import update_model

    pairs = {k: (v or None) for k, v in _pairs(tags, "tag").items()}
    mv = update_model(ref, description=description, tags=pairs, store=_store(ctx))
    if as_json:
        emit_json(mv)
    else:
        click.echo(f"{mv.ref}: " + (", ".join(f"{k}={v}" for k, v in mv.tags.items()) or "no tags"))


@models.command()
@click.argument("model")
@click.argument("version")
@click.option("--alias", required=True, help="The alias to move, e.g. production.")
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    help="Run this gate first; promote only if it passes.",
)
@click.option(
    "--decision",
    "decision_id",
    help="Use this recorded decision (default: the newest for the digest).",
)
@click.option("--reason", help="Why (kept in the audit log).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def promote(ctx, model, version, alias, policy, decision_id, reason, as_json):
    """Point ALIAS at MODEL VERSION; refused (exit 1) without a passing decision for its digest."""
    from ..gates import promote as do_promote

    if policy and decision_id:
        raise InvalidInput(
            "give --policy (run the gate now) or --decision (use a recorded one), not both"
        )
    try:
        move = do_promote(
            model,
            version,
            alias=alias,
            policy=policy,
            decision=decision_id,
            reason=reason,
            store=_store(ctx),
        )
    except Conflict as exc:  # refused or lost a race: a verdict, not a usage error
        if as_json:
            emit_json({"promoted": False, "error": exc.code, "message": str(exc)})
        fail(str(exc), 1)
        return
    if as_json:
        emit_json({"promoted": True, **move.model_dump(mode="json")})
    else:
        before = "empty" if move.previous is None else f"version {move.previous}"
        click.echo(
            f"{move.name}@{move.alias} -> version {move.version} (was {before}; "
            f"decision {move.decision_id[:12] if move.decision_id else '-'})"
        )


@models.command()
@click.argument("ref")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(),
    help="The file or directory about to be deployed.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx, ref, path, as_json):
    """Exit 0 only if the bytes at --file are exactly the artifact REF (e.g. churn@production)
    names."""
    from ..registry import verify_model

    result = verify_model(ref, path, store=_store(ctx))
    if as_json:
        emit_json(result)
    elif result.ok:
        click.echo(f"OK: {path} is {result.name}/{result.version} ({result.expected_digest[:16]})")
    else:
        click.echo(
            f"MISMATCH: {path} has digest {result.actual_digest[:16]}, "
            f"{ref} is {result.name}/{result.version} with {result.expected_digest[:16]}",
            err=True,
        )
    if not result.ok:
        raise SystemExit(1)


_OUTCOME = {"alias.moved": "moved", "promotion.refused": "REFUSED", "promotion.conflict": "lost"}


@models.command()
@click.argument("name")
@click.option("--alias", help="Only this alias (e.g. production).")
@click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="Only up to TIME (ISO date/time, -7d, now), and which version held each alias then.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def history(ctx, name, alias, at_text, as_json):
    """Every alias move of NAME with time, actor and the gate decision that allowed it; refused
    and lost promotions in line. With --at: what was in production (or any alias) at TIME."""
    from datetime import UTC, datetime

    from ..monitoring.refs import parse_time
    from ..registry import model_history

    at = parse_time(at_text, datetime.now(UTC)) if at_text else None
    found = model_history(name, alias=alias, at=at, store=_store(ctx))
    if as_json:
        emit_json(found)
        return

    def decision(e):
        if not e.decision_id:
            return "-"
        verdict = f" {e.verdict}" if e.verdict else ""
        return f"{e.decision_id[:12]}{verdict} {e.policy_name or ''}".strip()

    table(
        ["seq", "at", "alias", "outcome", "version", "from", "by", "decision", "reason"],
        [
            [
                e.seq,
                fmt_time(e.at),
                e.alias,
                _OUTCOME.get(e.action, e.action),
                e.version if e.version is not None else "-",
                e.previous if e.previous is not None else "-",
                e.actor,
                decision(e),
                e.reason or "",
            ]
            for e in found.events
        ],
    )
    if at is not None:
        wanted = [alias] if alias else sorted({e.alias for e in found.events})
        for a in wanted:
            held = found.held.get(a)
            where = f"{name}/{held}" if held is not None else "no version"
            click.echo(f"{name}@{a} at {fmt_time(at)}: {where}")
        if not wanted:
            click.echo(f"no alias of {name} had been set at {fmt_time(at)}")
