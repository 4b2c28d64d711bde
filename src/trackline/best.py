"""The best run by one metric, with what it took: params, inputs and the models it wrote.

``best(store, 'metrics.evaluate.f1', pipeline='churn')`` ranks pipeline runs (the field names a
task: ``metrics.<task>.<key>``); ``best(store, 'metrics.acc')`` ranks task runs. One search
finds the winner; its task runs are then read in full.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .errors import NotFound, QueryError
from .model.runs import ArtifactRef, RunQuery
from .query.parser import parse_columns, parse_where
from .query.spec import Search
from .store import RunStore, SearchStore, capability

__all__ = ["Best", "best", "scope_of"]


class Best(BaseModel):
    """The winner of a ``best`` search."""

    scope: Literal["runs", "pipelines"]
    metric: str
    value: float | None
    run: dict[str, Any]  # the search row of the winning task run or pipeline run
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # task name -> params
    inputs: list[ArtifactRef] = Field(default_factory=list)  # read from outside the run
    models: list[ArtifactRef] = Field(default_factory=list)  # model outputs (else all outputs)
    task_runs: list[str] = Field(default_factory=list)


def scope_of(metric: str) -> Literal["runs", "pipelines"]:
    """Pipeline scope when the field names a task (``metrics.<task>.<key>``)."""
    try:
        f = parse_columns(metric, "pipelines")[0]
    except QueryError:
        return "runs"
    return "pipelines" if f.kind == "metric" else "runs"


def best(
    store: RunStore,
    metric: str,
    *,
    pipeline: str | None = None,
    where: str | None = None,
    lowest: bool = False,
    scope: Literal["runs", "pipelines"] | None = None,
) -> Best:
    """The run (or pipeline run) with the highest (``lowest=True``: lowest) ``metric``."""
    scope = scope or scope_of(metric)
    field = parse_columns(metric, scope)[0]
    if field.kind != "metric":
        raise QueryError(f"'{metric}' is not a metric (e.g. 'metrics.acc', 'metrics.eval.f1')")
    if where:
        parse_where(where, scope)  # alone first: error columns count in the user's text
    clauses = [f"({where})"] if where else []
    if pipeline is not None:
        clauses.append("pipeline = '" + pipeline.replace("\\", "\\\\").replace("'", "\\'") + "'")
    search = Search(
        where=" and ".join(clauses) or None,
        order_by=f"{field.text} {'asc' if lowest else 'desc'}",
        columns=field.text,
        limit=1,
    )
    searcher = capability(store, SearchStore)  # type: ignore[type-abstract]
    found = (
        searcher.search_pipelines(search) if scope == "pipelines" else searcher.search_runs(search)
    ).rows
    key = field.name if field.task is None else f"{field.task}.{field.name}"
    if field.agg != "last":
        key += f".{field.agg}"
    if not found or found[0]["metrics"].get(key) is None:
        raise NotFound(
            f"no run has {field.text}" + (f" in pipeline {pipeline!r}" if pipeline else "")
        )
    row = found[0]
    if scope == "pipelines":
        ids = [r.id for r in store.list_runs(RunQuery(pipeline_run_id=row["id"], limit=10_000))]
    else:
        ids = [row["id"]]
    runs = [store.get_run(i) for i in ids]
    written = {ref.digest for r in runs for ref in r.outputs}
    inputs: dict[str, ArtifactRef] = {}
    outputs: dict[str, ArtifactRef] = {}
    for r in runs:
        for ref in r.inputs:
            if ref.digest not in written:
                inputs.setdefault(ref.digest, ref)
        for ref in r.outputs:
            outputs.setdefault(ref.digest, ref)
    models = [o for o in outputs.values() if o.kind == "model"] or list(outputs.values())
    return Best(
        scope=scope,
        metric=field.text,
        value=row["metrics"][key],
        run=row,
        params={r.name: r.params for r in sorted(runs, key=lambda r: r.started_at) if r.params},
        inputs=list(inputs.values()),
        models=models,
        task_runs=[r.id for r in runs],
    )
