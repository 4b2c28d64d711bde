"""``trackline drift REFERENCE CURRENT`` and ``trackline drift-reports``.

Exit status of ``drift``: 0 passed, 1 failed by ``--fail-on`` (default: dataset drift), 2 error.
"""

from __future__ import annotations

import sys

import click

from .main import cli, client
from .output import emit_json, fmt_time, table


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=what)
        out[key.strip()] = value.strip()
    return out


def _config(
    config_file: str | None,
    share,
    numeric_method,
    categorical_method,
    bins,
    thresholds,
    column_thresholds,
):
    from ..errors import ConfigError
    from ..monitoring.drift import DriftConfig
    from ..validation import read_yaml, validate

    data: dict = {}
    if config_file:
        data = read_yaml(config_file, "drift config") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{config_file}: a drift config is a mapping")
    for key, value in (
        ("share", share),
        ("numeric_method", numeric_method),
        ("categorical_method", categorical_method),
        ("bins", bins),
    ):
        if value is not None:
            data[key] = value
    if thresholds:
        data["thresholds"] = {**data.get("thresholds", {}), **_pairs(thresholds, "--threshold")}
    if column_thresholds:
        cols = dict(data.get("columns", {}))
        for col, value in _pairs(column_thresholds, "--column-threshold").items():
            cols[col] = {
                **cols.get(col, {}),
                **({"ignore": True} if value == "ignore" else {"threshold": value}),
            }
        data["columns"] = cols
    return validate(DriftConfig, data, config_file or "options", "drift config")


@cli.command()
@click.argument("reference")
@click.argument("current")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="YAML with share, numeric_method, categorical_method, bins, thresholds, columns.",
)
@click.option(
    "--share", type=float, help="Share of drifted columns that makes the dataset drift (0.5)."
)
@click.option("--numeric-method", type=click.Choice(["wasserstein", "psi", "jensen_shannon"]))
@click.option("--categorical-method", type=click.Choice(["jensen_shannon", "psi"]))
@click.option("--bins", type=int, help="Reference quantile bins for PSI / Jensen-Shannon (10).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="METHOD=VALUE",
    help="Global threshold of a method, e.g. psi=0.25 (repeatable).",
)
@click.option(
    "--column-threshold",
    "column_thresholds",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Threshold of one column, or COLUMN=ignore (repeatable).",
)
@click.option("--no-record", is_flag=True, help="Do not store the report or record the check run.")
@click.option(
    "--fail-on",
    default="share",
    show_default=True,
    metavar="any|share|COLUMNS",
    help="Exit 1 when: any column drifted; the dataset drifted (share rule); or one of these "
    "comma-separated columns drifted.",
)
@click.pass_context
def drift(
    ctx,
    reference,
    current,
    as_json,
    config_file,
    share,
    numeric_method,
    categorical_method,
    bins,
    thresholds,
    column_thresholds,
    no_record,
    fail_on,
):
    """Compare CURRENT data against REFERENCE from their stored profiles.

    \b
    REFERENCE and CURRENT are each one of:
      DIGEST | digest prefix | artifact name
      task:NAME/SLOT@WINDOW    inputs of task NAME (output:NAME/SLOT@WINDOW for outputs)
      a local .csv/.tsv/.parquet file (profiled now)
    WINDOW: last (default), last:N, or SINCE..UNTIL with ISO times, -7d / -12h / now.
    Exit status: 0 passed, 1 failed by --fail-on (default: the dataset drifted), 2 error.
    """
    from ..monitoring.check import check_drift
    from ..monitoring.verdict import fails

    cfg = _config(
        config_file, share, numeric_method, categorical_method, bins, thresholds, column_thresholds
    )
    c = client(ctx)
    if fail_on not in ("any", "share") and not fail_on.strip(" ,"):
        raise click.BadParameter("give any, share or column names", param_hint="--fail-on")
    report = check_drift(reference, current, config=cfg, record=not no_record, store=c.store)
    failed = fails(report, fail_on)
    if as_json:
        emit_json({**report.summary(), "fail_on": fail_on, "failed": failed})
    else:
        _print(report)
    sys.exit(1 if failed else 0)


def _score(v) -> str:
    return "" if v is None else f"{v:.4f}"


def _scored(c) -> str:
    if c.score is None:
        return ""
    return f"{c.score:.4f} ± {c.bound:.4f}" if c.bound else f"{c.score:.4f}"


def _print(report) -> None:
    from ..monitoring.verdict import headline

    click.echo(headline(report))
    click.echo(
        f"reference: {report.reference.ref}  ({report.reference.rows} rows, "
        f"{len(report.reference.digests)} artifact(s))"
    )
    click.echo(
        f"current:   {report.current.ref}  ({report.current.rows} rows, "
        f"{len(report.current.digests)} artifact(s))"
    )
    ordered = sorted(report.columns, key=lambda c: not c.drifted)  # drifted columns first
    table(
        ["column", "kind", "method", "score ± bound", "threshold", "drifted"],
        [
            [
                c.column,
                c.kind,
                c.method,
                _scored(c),
                _score(c.threshold),
                "yes" if c.drifted else "",
            ]
            for c in ordered
        ],
    )
    if report.new_columns:
        click.echo(f"columns only in current: {', '.join(report.new_columns)}")
    if report.run_id:
        click.echo(f"report {report.id[:12]} recorded by run {report.run_id[:12]}")


@cli.command("drift-reports")
@click.option(
    "--artifact", help="Only reports that compared this artifact (digest, prefix or name)."
)
@click.option("--id", "report_id", help="Show one report in full.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def drift_reports(ctx, artifact, report_id, limit, as_json):
    """List stored drift reports (newest first), or show one."""
    from ..monitoring.check import monitoring_store

    c = client(ctx)
    store = monitoring_store(c.store)
    if report_id:
        report = store.get_drift_report(report_id)
        if as_json:
            emit_json(report.summary())
        else:
            _print(report)
        return
    digest = c.artifact(artifact).digest if artifact else None
    reports = store.list_drift_reports(digest, limit)
    if as_json:
        emit_json([r.summary() for r in reports])
        return
    table(
        ["id", "created", "drifted", "share", "reference", "current"],
        [
            [
                r.id[:12],
                fmt_time(r.created_at),
                "yes" if r.drifted else "no",
                f"{r.share:.2f}",
                r.reference.ref,
                r.current.ref,
            ]
            for r in reports
        ],
    )


@cli.command("profile")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="The whole profile (merged for windows).")
@click.pass_context
def profile_cmd(ctx, ref, as_json):
    """Show the data profile of REF (same references as `trackline drift`)."""
    from ..config import settings
    from ..monitoring.check import monitoring_store
    from ..monitoring.refs import resolve
    from ..profiles.profile import column_variance, numeric_summary

    cfg = settings()
    side = resolve(
        ref,
        monitoring_store(client(ctx).store),
        profile_mode=cfg.profile,
        sample_rows=cfg.profile_sample_rows,
    )
    if as_json:
        emit_json(
            {
                "ref": side.ref,
                "digests": [a.digest for a in side.artifacts],
                "profile": side.profile,
            }
        )
        return
    prof = side.profile
    click.echo(f"{side.ref}: {prof['rows']} rows from {len(side.artifacts)} artifact(s)")
    rows = []
    for name, col in prof["columns"].items():
        if col["kind"] == "numeric":
            var = column_variance(col)
            median = float(numeric_summary(col).quantile([0.5])[0]) if col["count"] else 0.0
            summary = (
                (
                    f"mean {col['mean']:.4g}  std {(var or 0.0) ** 0.5:.4g}  "
                    f"min {col['min']:.4g}  median {median:.4g}  max {col['max']:.4g}"
                )
                if col["count"]
                else ""
            )
        elif col["kind"] == "categorical":
            top = ", ".join(f"{t[0]} ({t[1]})" for t in col["top"][:3])
            summary = f"distinct ~{col['distinct']}  top: {top}"
        else:
            summary = ""
        rows.append([name, col["kind"], col.get("count", 0), col.get("nulls", 0), summary])
    table(["column", "kind", "values", "nulls", "summary"], rows)
