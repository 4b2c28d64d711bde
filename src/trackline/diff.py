"""Why did two runs differ: params, inputs, code, environment, outcome and metrics.

With a store, ``diff_runs`` also explains data (columns, dtypes, rows, the largest per-column
distribution shifts from the artifacts' profiles; files added, removed and changed inside
folders) and code (a unified diff of the task function's stored source).
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from pydantic import BaseModel, Field

from .model.runs import Artifact, TaskRun

__all__ = ["RunDiff", "DataChange", "PipelineDiff", "diff_runs", "diff_pipeline_runs"]

_TOP_SHIFTS = 5


class Change(BaseModel):
    key: str
    a: Any = None
    b: Any = None


class DataChange(BaseModel):
    """What changed inside one input/output slot whose bytes differ."""

    key: str  # slot name, e.g. "raw" or "dfs[0]"
    direction: str
    a: str | None = None  # digests
    b: str | None = None
    rows: list[int | None] | None = None  # [a, b] when they differ
    columns_added: list[str] = Field(default_factory=list)
    columns_removed: list[str] = Field(default_factory=list)
    dtype_changes: dict[str, list[str]] = Field(default_factory=dict)  # column -> [a, b]
    # Largest per-column distribution shifts: column -> score (std units of the mean for
    # numbers, total variation distance of the top values for categories).
    shifts: dict[str, float] = Field(default_factory=dict)
    files_added: list[str] = Field(default_factory=list)
    files_removed: list[str] = Field(default_factory=list)
    files_changed: list[str] = Field(default_factory=list)


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
    data: list[DataChange] = Field(default_factory=list)
    code_diff: str | None = None  # unified diff of the stored sources

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
            or self.data
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


def diff_runs(a: TaskRun, b: TaskRun, store: Any = None) -> RunDiff:
    """The differences; with ``store`` (a ``RunStore``) also what changed inside the data."""
    d = RunDiff(a=a.id, b=b.id)
    d.params = _changes(a.params, b.params)
    d.inputs = _changes({r.name: r.digest for r in a.inputs}, {r.name: r.digest for r in b.inputs})
    d.outputs = _changes(
        {r.name: r.digest for r in a.outputs}, {r.name: r.digest for r in b.outputs}
    )
    if a.code_digest != b.code_digest:
        d.code = Change(key="code_digest", a=a.code_digest, b=b.code_digest)
        src_a = a.code.source if a.code else None
        src_b = b.code.source if b.code else None
        if src_a is not None and src_b is not None:
            d.code_diff = "".join(
                difflib.unified_diff(
                    src_a.splitlines(keepends=True),
                    src_b.splitlines(keepends=True),
                    fromfile=f"{a.name}#{a.id[:8]}",
                    tofile=f"{b.name}#{b.id[:8]}",
                )
            )
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
    if store is not None:
        for direction, changes in (("input", d.inputs), ("output", d.outputs)):
            for c in changes:
                if c.a and c.b:
                    d.data.append(explain_data(store, c.key, direction, c.a, c.b))
    return d


def explain_data(store: Any, slot: str, direction: str, a: str, b: str) -> DataChange:
    """Columns, dtypes, rows and distribution shifts of two tabular artifacts; files of two
    folders. Missing records or profiles leave those parts empty (never an error)."""
    out = DataChange(key=slot, direction=direction, a=a, b=b)
    try:
        art_a, art_b = store.get_artifact(a), store.get_artifact(b)
    except Exception:  # noqa: BLE001 - an artifact the store no longer has: digests only
        return out
    if art_a.kind == "directory" and art_b.kind == "directory":
        _folder_changes(store, out)
        return out
    if art_a.rows != art_b.rows:
        out.rows = [art_a.rows, art_b.rows]
    cols_a, cols_b = _columns(art_a), _columns(art_b)
    out.columns_added = [c for c in cols_b if c not in cols_a]
    out.columns_removed = [c for c in cols_a if c not in cols_b]
    out.dtype_changes = {
        c: [cols_a[c], cols_b[c]] for c in cols_a if c in cols_b and cols_a[c] != cols_b[c]
    }
    shifts = {}
    pa = (art_a.profile or {}).get("columns", {})
    pb = (art_b.profile or {}).get("columns", {})
    for name in pa:
        if name in pb:
            score = _shift(pa[name], pb[name])
            if score:
                shifts[name] = round(score, 4)
    top = sorted(shifts.items(), key=lambda kv: -kv[1])[:_TOP_SHIFTS]
    out.shifts = dict(top)
    return out


def _columns(art: Artifact) -> dict[str, str]:
    if art.columns:
        return {c.name: c.dtype for c in art.columns}
    cols = (art.profile or {}).get("columns", {})
    return {k: v.get("dtype", "?") for k, v in cols.items()}


def _shift(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    if a.get("kind") == "numeric" and b.get("kind") == "numeric":
        ma, mb = a.get("mean"), b.get("mean")
        if ma is None or mb is None:
            return None
        n = max(int(a.get("count") or 0) + int(b.get("count") or 0) - 2, 1)
        sd = math.sqrt((float(a.get("m2") or 0.0) + float(b.get("m2") or 0.0)) / n)
        return abs(mb - ma) / sd if sd > 0 else (0.0 if ma == mb else math.inf)
    if a.get("kind") == "categorical" and b.get("kind") == "categorical":
        ta, tb = dict(a.get("top") or []), dict(b.get("top") or [])
        na, nb = max(int(a.get("count") or 0), 1), max(int(b.get("count") or 0), 1)
        keys = set(ta) | set(tb)
        return 0.5 * sum(abs(ta.get(k, 0) / na - tb.get(k, 0) / nb) for k in keys)
    return None


def _folder_changes(store: Any, out: DataChange) -> None:
    from .store import LocationStore, capability

    try:
        loc = capability(store, LocationStore)
        fa = {f.path: f.digest for f in loc.folder_manifest(out.a or "")}
        fb = {f.path: f.digest for f in loc.folder_manifest(out.b or "")}
    except Exception:  # noqa: BLE001 - no manifest kept (too many files, older store)
        return
    out.files_added = sorted(set(fb) - set(fa))
    out.files_removed = sorted(set(fa) - set(fb))
    out.files_changed = sorted(p for p in fa if p in fb and fa[p] != fb[p])


class TaskPair(BaseModel):
    name: str
    a: str | None = None
    b: str | None = None
    diff: RunDiff | None = None


class PipelineDiff(BaseModel):
    """Two pipeline runs, their task runs paired by task name."""

    a: str
    b: str
    config: list[Change] = Field(default_factory=list)
    tasks: list[TaskPair] = Field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.config and all(
            t.a and t.b and t.diff is not None and t.diff.identical for t in self.tasks
        )


def diff_pipeline_runs(store: Any, a: str, b: str) -> PipelineDiff:
    """Pair the task runs of pipeline runs ``a`` and ``b`` by name (the newest run of a name
    when a task ran more than once) and diff each pair."""
    from .model.runs import RunQuery

    pa, pb = store.get_pipeline_run(a), store.get_pipeline_run(b)
    out = PipelineDiff(a=pa.id, b=pb.id, config=_changes(pa.config, pb.config))
    by_name: list[dict[str, str]] = []
    for p in (pa, pb):
        runs = store.list_runs(RunQuery(pipeline_run_id=p.id, limit=10_000, order="oldest"))
        by_name.append({r.name: r.id for r in runs})  # later runs of a name win
    for name in sorted(set(by_name[0]) | set(by_name[1])):
        ra, rb = by_name[0].get(name), by_name[1].get(name)
        pair = TaskPair(name=name, a=ra, b=rb)
        if ra and rb:
            pair.diff = diff_runs(store.get_run(ra), store.get_run(rb), store)
        out.tasks.append(pair)
    return out
