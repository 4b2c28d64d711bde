"""Human renderings of runs, diffs and lineage graphs (text, Mermaid, Graphviz dot)."""

from __future__ import annotations

import json

import click

from ..diff import PipelineDiff, RunDiff
from ..model.lineage_view import run_label, short_id
from ..model.runs import ArtifactLocation, LineageGraph, PipelineRun, TaskRun
from .output import fmt_duration, fmt_time, table

__all__ = [
    "show_text",
    "diff_text",
    "lineage_text",
    "mermaid",
    "dot",
    "locations_text",
    "pipeline_text",
    "pipeline_diff_text",
]


def _label(node) -> str:
    if node.type == "task_run":
        return f"{run_label(node)} [{node.status}]"
    return f"{node.name or node.id[:12]} ({node.kind})"


def locations_text(locs: list[ArtifactLocation]) -> None:
    if not locs:
        click.echo("\nlocations  none recorded (an in-memory value)")
        return
    by_uri: dict[str, list[ArtifactLocation]] = {}
    for loc in locs:
        by_uri.setdefault(loc.uri, []).append(loc)
    click.echo("\nlocations")
    rows = []
    for uri, seen in by_uri.items():
        times = [x.seen_at for x in seen if x.seen_at]
        last = max(seen, key=lambda x: x.seen_at or 0)
        rows.append(
            [
                uri,
                fmt_time(min(times)) if times else "",
                fmt_time(max(times)) if times else "",
                len(seen),
                f"{last.direction} {short_id(last.run_id) if last.run_id else '-'}",
            ]
        )
    table(["uri", "first seen", "last seen", "times", "last by"], rows)


def pipeline_text(pipe: PipelineRun, runs: list[TaskRun]) -> None:
    click.echo(f"pipeline run {pipe.id}")
    click.echo(f"pipeline  {pipe.pipeline}")
    click.echo(f"status    {pipe.status}")
    click.echo(f"started   {fmt_time(pipe.started_at)}   duration {fmt_duration(pipe.duration_s)}")
    if pipe.config:
        click.echo(f"config    {json.dumps(pipe.config, sort_keys=True, default=str)}")
    click.echo(f"\ntask runs ({len(runs)})")
    table(
        ["id", "name", "status", "started", "duration"],
        [
            [r.id[:12], r.name, r.status, fmt_time(r.started_at), fmt_duration(r.duration_s)]
            for r in runs
        ],
    )


def show_text(run: TaskRun) -> None:
    click.echo(f"run       {run.id}")
    click.echo(f"name      {run.name}")
    click.echo(f"pipeline  {run.pipeline or '-'}  (run {run.pipeline_run_id or '-'})")
    click.echo(f"status    {run.status}")
    click.echo(f"started   {fmt_time(run.started_at)}   duration {fmt_duration(run.duration_s)}")
    click.echo(
        f"code      {run.code_digest or '-'}"
        + (f"  {run.code.module}.{run.code.qualname}" if run.code else "")
    )
    if run.external_ids:
        click.echo(f"external  {json.dumps(run.external_ids)}")
    if run.error:
        click.echo(f"error     {run.error.type}: {run.error.message}")
    if run.params:
        click.echo("\nparams")
        table(["key", "value"], [[k, json.dumps(v)] for k, v in run.params.items()])
    for title, refs in (("inputs", run.inputs), ("outputs", run.outputs)):
        if refs:
            click.echo(f"\n{title}")
            table(
                ["name", "kind", "digest", "uri"],
                [[r.name, r.kind, r.digest[:12], r.uri] for r in refs],
            )
    if run.metrics:
        click.echo("\nmetrics")
        table(["key", "value", "step"], [[m.key, m.value, m.step] for m in run.metrics])
    if run.resources:
        r = run.resources
        click.echo(
            f"\nresources cpu user {r.cpu_user_s:.3f}s sys {r.cpu_system_s:.3f}s, "
            f"peak rss {r.peak_rss_bytes / 2**20:.1f} MiB, samples {len(r.samples)}"
        )
    if run.environment:
        e = run.environment
        click.echo(
            f"environment python {e.python} on {e.hostname}, git {e.git_commit or '-'}"
            f"{' (dirty)' if e.git_dirty else ''}, {len(e.packages)} packages"
        )


def diff_text(d: RunDiff, indent: str = "") -> None:
    if d.identical:
        click.echo(f"{indent}no differences")
        return
    sections = [
        ("params", d.params),
        ("inputs", d.inputs),
        ("outputs", d.outputs),
        ("code", [d.code] if d.code else []),
        ("environment", d.environment),
        ("packages", d.packages),
        ("outcome", d.outcome),
        ("metrics", d.metrics),
    ]
    for title, changes in sections:
        if changes:
            click.echo(f"\n{indent}{title}")
            table(["key", "a", "b"], [[c.key, _short(c.a), _short(c.b)] for c in changes])
    for ch in d.data:
        lines = _data_lines(ch)
        if lines:
            click.echo(f"\n{indent}data {ch.direction} {ch.key}")
            for line in lines:
                click.echo(f"{indent}  {line}")
    if d.code_diff:
        click.echo(f"\n{indent}source")
        for line in d.code_diff.splitlines():
            click.echo(f"{indent}  {line}")


def _data_lines(ch) -> list[str]:
    out = []
    if ch.rows:
        out.append(f"rows {ch.rows[0]} -> {ch.rows[1]}")
    if ch.columns_added:
        out.append("columns added: " + ", ".join(ch.columns_added))
    if ch.columns_removed:
        out.append("columns removed: " + ", ".join(ch.columns_removed))
    for col, (a, b) in ch.dtype_changes.items():
        out.append(f"dtype {col}: {a} -> {b}")
    if ch.shifts:
        out.append("largest shifts: " + ", ".join(f"{k} {v:g}" for k, v in ch.shifts.items()))
    for title, files in (
        ("added", ch.files_added),
        ("removed", ch.files_removed),
        ("changed", ch.files_changed),
    ):
        if files:
            shown = ", ".join(files[:20]) + (
                f" (+{len(files) - 20} more)" if len(files) > 20 else ""
            )
            out.append(f"files {title}: {shown}")
    return out


def pipeline_diff_text(d: PipelineDiff) -> None:
    click.echo(f"pipeline runs {d.a[:12]} -> {d.b[:12]}")
    if d.config:
        click.echo("\nconfig")
        table(["key", "a", "b"], [[c.key, _short(c.a), _short(c.b)] for c in d.config])
    for t in d.tasks:
        if not t.a or not t.b:
            side = "only in a" if t.a else "only in b"
            click.echo(f"\n== {t.name}: {side}")
            continue
        same = t.diff is not None and t.diff.identical
        click.echo(f"\n== {t.name}#{t.a[:8]} -> {t.name}#{t.b[:8]}" + (": same" if same else ""))
        if t.diff is not None and not same:
            diff_text(t.diff, indent="   ")


def _short(v) -> str:
    s = json.dumps(v, default=str) if not isinstance(v, str) else v
    return s if len(s) <= 40 else s[:37] + "..."


def lineage_text(g: LineageGraph, all_producers: bool = False) -> None:
    """One line per distinct edge; runs of one task that produced the same bytes are folded
    into one line ("featurize ×12 runs, newest …") unless ``all_producers``."""
    nodes = {n.id: n for n in g.nodes}
    folded: dict[str, str] = {}  # folded run id -> the group's representative
    labels: dict[str, str] = {}
    if not all_producers:
        for grp in g.groups:
            rep = grp.runs[0]
            newest = nodes.get(grp.newest)
            labels[rep] = (
                f"{grp.name} ×{len(grp.runs)} runs, newest {short_id(grp.newest)}"
                + (f" [{newest.status}]" if newest is not None else "")
                + (f", shown {short_id(rep)}" if rep != grp.newest else "")
            )
            for rid in grp.runs[1:]:
                folded.setdefault(rid, rep)

    def label(node_id: str) -> str:
        if node_id in labels:
            return labels[node_id]
        n = nodes.get(node_id)
        return _label(n) if n else node_id

    root = label(g.root) if g.root in nodes else g.root
    click.echo(f"{g.direction} lineage of {root}: {len(g.nodes)} nodes, {len(g.edges)} edges")
    seen: set[str] = set()
    hidden = 0
    for e in g.edges:
        if e.source in folded or e.target in folded:
            hidden += 1
            continue
        line = f"  {label(e.source)} --{e.type}:{e.name or ''}--> {label(e.target)}" + (
            "  (by name)" if e.by == "name" else ""
        )
        if line not in seen:
            seen.add(line)
            click.echo(line)
    if hidden:
        click.echo(f"  ({hidden} edges of folded runs not shown; --all-producers lists them)")


def _mid(node_id: str) -> str:
    return "n" + node_id[:16]


def mermaid(g: LineageGraph) -> str:
    lines = ["flowchart LR"]
    for n in g.nodes:
        text = _label(n).replace('"', "'")
        lines.append(
            f'  {_mid(n.id)}["{text}"]' if n.type == "task_run" else f'  {_mid(n.id)}[("{text}")]'
        )
    for e in g.edges:
        arrow = "-.->" if e.by == "name" else "-->"  # by name (a location): dotted
        lines.append(f"  {_mid(e.source)} {arrow}|{e.name or e.type}| {_mid(e.target)}")
    return "\n".join(lines)


def dot(g: LineageGraph) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;"]
    for n in g.nodes:
        shape = "box" if n.type == "task_run" else "ellipse"
        lines.append(f'  "{n.id}" [label={json.dumps(_label(n))}, shape={shape}];')
    for e in g.edges:
        style = ", style=dashed" if e.by == "name" else ""
        lines.append(
            f'  "{e.source}" -> "{e.target}" [label={json.dumps(e.name or e.type)}{style}];'
        )
    lines.append("}")
    return "\n".join(lines)
