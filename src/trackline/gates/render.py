"""A decision as a terminal report and as a Markdown table for pull-request comments."""

from __future__ import annotations

from ..model.registry import GateDecision

__all__ = ["decision_markdown", "decision_text"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def decision_markdown(d: GateDecision) -> str:
    mark = "✅" if d.passed else "❌"
    word = "passed" if d.passed else "failed"
    lines = [
        f"### {mark} Gate `{d.policy_name}` {word} for `{d.model_name}/{d.model_version}`",
        "",
        "| # | Rule | Result | Details |",
        "|---|------|--------|---------|",
    ]
    for r in d.results:
        result = "✅ pass" if r.passed else "❌ fail"
        lines.append(f"| {r.index + 1} | {_cell(r.rule)} | {result} | {_cell(r.message)} |")
    lines += [
        "",
        f"Model digest `{d.model_digest[:16]}` · policy digest `{d.policy_digest[:16]}` · "
        f"decision `{d.id}` · by {d.actor} at {d.created_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    return "\n".join(lines)


def decision_text(d: GateDecision) -> str:
    lines = [f"gate {d.policy_name!r} on {d.model_name}/{d.model_version}: {d.verdict.upper()}"]
    for r in d.results:
        lines.append(f"  [{'pass' if r.passed else 'FAIL'}] {r.index + 1}. {r.rule}")
        lines.append(f"         {r.message}")
    lines.append(f"decision {d.id}  model {d.model_digest[:16]}  policy {d.policy_digest[:16]}")
    return "\n".join(lines)
