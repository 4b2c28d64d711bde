"""Why did two runs differ: params, inputs, code, environment, outcome and metrics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .model.runs import TaskRun

__all__ = ["RunDiff", "diff_runs"]


class Change(BaseModel):
    key: str
    a: Any = None
    b: Any = None


class RunDiff(BaseModel):
    a: str
    b: str
    params: list[Change] = Field(default_factory=list)
    inputs: list[Change] = Field(default_factory=list)
    outputs: list[Change] = Field(default_factory=list)
    code: Change | None = None
    environment: list[Change] = Field(default_factory=list)
    packages: list[Change] = Field(default_factory=list)
    outcome: list[Change] = Field(default_factory=list)
    metrics: list[Change] = Field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (
            self.params
            or self.inputs
            or self.outputs
            or self.code
            or self.environment
            or self.packages
            or self.outcome
            or self.metrics
        )


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    return [
        Change(key=k, a=a.get(k), b=b.get(k))
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def _last_metrics(run: TaskRun) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in sorted(run.metrics, key=lambda m: ((m.step or 0), m.timestamp)):
        out[m.key] = m.value
    return out


def diff_runs(a: TaskRun, b: TaskRun) -> RunDiff:
    d = RunDiff(a=a.id, b=b.id)
    d.params = _changes(a.params, b.params)
    d.inputs = _changes({r.name: r.digest for r in a.inputs}, {r.name: r.digest for r in b.inputs})
    d.outputs = _changes(
        {r.name: r.digest for r in a.outputs}, {r.name: r.digest for r in b.outputs}
    )
    if a.code_digest != b.code_digest:
        d.code = Change(key="code_digest", a=a.code_digest, b=b.code_digest)
    ea = a.environment.model_dump() if a.environment else {}
    eb = b.environment.model_dump() if b.environment else {}
    keys = (
        "python",
        "platform",
        "hostname",
        "git_commit",
        "git_branch",
        "git_dirty",
        "env_vars",
        "accelerators",
    )
    d.environment = _changes({k: ea.get(k) for k in keys}, {k: eb.get(k) for k in keys})
    d.packages = _changes(ea.get("packages", {}), eb.get("packages", {}))
    d.outcome = _changes(
        {"status": a.status, "error": a.error.type if a.error else None},
        {"status": b.status, "error": b.error.type if b.error else None},
    )
    la, lb = _last_metrics(a), _last_metrics(b)
    d.metrics = [c for c in _changes(la, lb) if not (c.a != c.a and c.b != c.b)]  # NaN == NaN here
    return d
