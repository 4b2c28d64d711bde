"""What an event needs beyond the run record, read from the store after the run was written.

Emission and backfill both build events from the store (not from a recorder's memory), so a
run described by two writers (a decorator and a listener) is emitted as the store merged it,
and a re-emission reads the same record and yields the same ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..errors import TracklineError
from ..model.registry import Evaluation, GateDecision, ModelVersion
from ..model.runs import Artifact, ArtifactKind, PipelineRun, TaskRun
from ..store import RegistryStore, RunStore, capability

__all__ = ["RunContext", "gather"]

log = logging.getLogger("trackline.openlineage")


@dataclass
class RunContext:
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    pipeline_run: PipelineRun | None = None
    parent: TaskRun | None = None
    model_versions: dict[str, list[ModelVersion]] = field(default_factory=dict)
    evaluations: list[Evaluation] = field(default_factory=list)
    decisions: dict[str, list[GateDecision]] = field(default_factory=dict)


def gather(store: RunStore, run: TaskRun) -> RunContext:
    """Artifact records, the pipeline run, the parent run and registry facts of ``run``."""
    ctx = RunContext()
    for ref in [*run.inputs, *run.outputs]:
        if ref.digest in ctx.artifacts:
            continue
        try:
            ctx.artifacts[ref.digest] = store.get_artifact(ref.digest)
        except TracklineError:
            ctx.artifacts[ref.digest] = Artifact(digest=ref.digest, kind=ref.kind, uri=ref.uri)
    if run.pipeline_run_id:
        try:
            ctx.pipeline_run = store.get_pipeline_run(run.pipeline_run_id)
        except TracklineError:
            ctx.pipeline_run = None
    if run.parent_id:
        try:
            ctx.parent = store.get_run(run.parent_id)
        except TracklineError:
            ctx.parent = None
    _registry_facts(store, run, ctx)
    return ctx


def _registry_facts(store: RunStore, run: TaskRun, ctx: RunContext) -> None:
    models = sorted({d for d, a in ctx.artifacts.items() if a.kind == ArtifactKind.MODEL})
    if not models:
        return
    try:
        registry = capability(store, RegistryStore)
    except TracklineError:
        return  # a store without a registry: no model facets
    for digest in models:
        try:
            ctx.model_versions[digest] = registry.model_versions_with_digest(digest)
            ctx.evaluations += [
                e
                for e in registry.list_evaluations(model_digest=digest, limit=1000)
                if e.run_id == run.id
            ]
            ctx.decisions[digest] = registry.list_decisions(model_digest=digest, limit=100)
        except Exception as exc:  # noqa: BLE001 - registry facets are a bonus, never a failure
            log.debug("trackline: registry facts of %s unavailable: %s", digest[:12], exc)
