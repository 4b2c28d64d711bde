"""Human renderings of runs, diffs and lineage graphs (text, Mermaid, Graphviz dot)."""

from __future__ import annotations

import json

import click

from ..diff import RunDiff
from ..model.runs import LineageGraph, TaskRun
from .output import fmt_duration, fmt_time, table

__all__ = ["show_text", "diff_text", "lineage_text", "mermaid", "dot"]


def _label(node) -> str:
    if node.type == "task_run":
        return f"{node.name} [{node.status}]"
    return f"{node.name or node.id[:12]} ({node.kind})"


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


def diff_text(d: RunDiff) -> None:
    if d.identical:
        click.echo("no differences")
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
            click.echo(f"\n{title}")
            table(["key", "a", "b"], [[c.key, _short(c.a), _short(c.b)] for c in changes])


def _short(v) -> str:
    s = json.dumps(v, default=str) if not isinstance(v, str) else v
    return s if len(s) <= 40 else s[:37] + "..."


def lineage_text(g: LineageGraph) -> None:
    nodes = {n.id: n for n in g.nodes}
    click.echo(
        f"{g.direction} lineage of {_label(nodes[g.root]) if g.root in nodes else g.root}: "
        f"{len(g.nodes)} nodes, {len(g.edges)} edges"
    )
    for e in g.edges:
        s, t = nodes.get(e.source), nodes.get(e.target)
        click.echo(
            f"  {_label(s) if s else e.source} --{e.type}:{e.name or ''}-->"
            f" {_label(t) if t else e.target}" + ("  (by name)" if e.by == "name" else "")
        )


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
