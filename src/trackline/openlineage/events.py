"""trackline runs → OpenLineage ``RunEvent``s (spec 2-0-2) with standard and ML facets.

One START and, for a finished run, one terminal event (COMPLETE / FAIL / ABORT). Run ids are
derived (``ids.run_uuid``); a task run's ``parent`` facet names its parent task run or its
pipeline run and ``root`` the pipeline run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from openlineage.client.constants import __version__ as client_version
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    dataset_type_dataset,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    nominal_time_run,
    parent_run,
    processing_engine_run,
    schema_dataset,
)

from .._version import __version__
from ..model.runs import (
    Artifact,
    ArtifactKind,
    ArtifactRef,
    Metric,
    PipelineRun,
    TaskRun,
    json_float,
)
from . import facets as tf
from .context import RunContext
from .ids import run_uuid
from .naming import dataset_of, is_name_identified

__all__ = [
    "task_run_events",
    "pipeline_run_events",
    "terminal_state",
    "job_name",
    "json_value",
]

P = tf.PRODUCER
_TERMINAL = {
    "success": RunState.COMPLETE,
    "skipped": RunState.COMPLETE,
    "failed": RunState.FAIL,
    "up_for_retry": RunState.FAIL,
    "crashed": RunState.ABORT,
    "cancelled": RunState.ABORT,
}
_DATASET_TYPES = {
    ArtifactKind.MODEL: "MODEL",
    ArtifactKind.TABLE: "TABLE",
    ArtifactKind.FILE: "FILE",
    ArtifactKind.DIRECTORY: "DIRECTORY",
    ArtifactKind.DATASET: "DATASET",
}


def terminal_state(status: str) -> RunState | None:
    return _TERMINAL.get(status)


def job_name(run: TaskRun) -> str:
    return f"{run.pipeline}.{run.name}" if run.pipeline else run.name


def _iso(t: datetime) -> str:
    # Stores hand back naive UTC, a live recorder aware UTC: one spelling, so the START sent
    # live and the one a backfill re-sends are the same event to a deduplicating consumer.
    return (t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)).isoformat()


def _job(namespace: str, name: str, job_type: str) -> Job:
    facet = job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="TRACKLINE", jobType=job_type, producer=P
    )
    return Job(namespace=namespace, name=name, facets={"jobType": facet})


def _engine() -> processing_engine_run.ProcessingEngineRunFacet:
    return processing_engine_run.ProcessingEngineRunFacet(
        version=__version__, name="trackline", openlineageAdapterVersion=client_version, producer=P
    )


def pipeline_run_events(run: PipelineRun, *, namespace: str, start: bool = True) -> list[RunEvent]:
    """START (unless ``start=False``: it was sent live) and, for a finished run, its end."""
    uid = run_uuid(run.id, run.started_at)
    facets: dict[str, Any] = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=_iso(run.started_at), producer=P
        ),
        "processing_engine": _engine(),
        "trackline_run": tf.TracklineRunFacet(
            id=run.id,
            kind="pipeline_run",
            status=run.status,
            pipeline=run.pipeline,
            durationSeconds=run.duration_s,
            externalIds=dict(run.external_ids),
            producer=P,
        ),
    }
    if run.config:
        facets["trackline_params"] = tf.TracklineParamsRunFacet(
            params=json_value(run.config), producer=P
        )
    job = _job(namespace, run.pipeline, "PIPELINE")
    return _start_and_end(run, uid, job, facets if start else None, lambda: facets)


def task_run_events(
    run: TaskRun, ctx: RunContext, *, namespace: str, start: bool = True
) -> list[RunEvent]:
    """START (unless ``start=False``: it was sent live) and, for a finished run, its end."""
    uid = run_uuid(run.id, run.started_at)
    start_facets = _task_facets(run, ctx, namespace, final=False)
    job = _job(namespace, job_name(run), "TASK")
    inputs = [
        InputDataset(namespace=ns, name=name, facets=f)
        for ns, name, f in _datasets(run.inputs, ctx)
    ]
    outputs = [
        OutputDataset(namespace=ns, name=name, facets=f)
        for ns, name, f in _datasets(run.outputs, ctx)
    ]
    return _start_and_end(
        run,
        uid,
        job,
        start_facets if start else None,
        lambda: _task_facets(run, ctx, namespace, final=True),
        inputs=inputs,
        outputs=outputs,
    )


def _start_and_end(
    run: TaskRun | PipelineRun,
    uid: str,
    job: Job,
    start_facets: dict[str, Any] | None,
    end_facets: Callable[[], dict[str, Any]],
    inputs: list | None = None,
    outputs: list | None = None,
) -> list[RunEvent]:
    """START (when ``start_facets`` is given) and, for a finished run, its end: one shape for
    pipeline and task runs. Only the end names outputs (they exist once the run wrote them)."""
    events = []
    if start_facets is not None:
        events.append(
            RunEvent(
                eventType=RunState.START,
                eventTime=_iso(run.started_at),
                run=Run(runId=uid, facets=start_facets),
                job=job,
                inputs=inputs or [],
                producer=P,
            )
        )
    state = terminal_state(run.status)
    if state is not None:
        events.append(
            RunEvent(
                eventType=state,
                eventTime=_iso(run.ended_at or run.started_at),
                run=Run(runId=uid, facets=end_facets()),
                job=job,
                inputs=inputs or [],
                outputs=outputs or [],
                producer=P,
            )
        )
    return events


def _task_facets(run: TaskRun, ctx: RunContext, namespace: str, *, final: bool) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=_iso(run.started_at), producer=P
        ),
        "processing_engine": _engine(),
        "trackline_run": tf.TracklineRunFacet(
            id=run.id,
            kind="task_run",
            status=run.status,
            pipeline=run.pipeline,
            pipelineRunId=run.pipeline_run_id,
            parentId=run.parent_id,
            durationSeconds=run.duration_s if final else None,
            codeDigest=run.code_digest,
            externalIds=dict(run.external_ids),
            producer=P,
        ),
    }
    parent = _parent(run, ctx, namespace)
    if parent is not None:
        facets["parent"] = parent
    if run.params:
        facets["trackline_params"] = tf.TracklineParamsRunFacet(
            params=json_value(run.params), producer=P
        )
    if not final:
        return facets
    if run.error is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{run.error.type}: {run.error.message}",
            programmingLanguage="python",
            stackTrace=run.error.traceback,
            producer=P,
        )
    if run.metrics or run.metric_series:
        facets["trackline_metrics"] = tf.TracklineMetricsRunFacet(
            metrics=[_metric(m) for m in run.all_metrics()], producer=P
        )
    if run.resources is not None:
        r = run.resources
        facets["trackline_resources"] = tf.TracklineResourcesRunFacet(
            cpuUserSeconds=r.cpu_user_s,
            cpuSystemSeconds=r.cpu_system_s,
            peakRssBytes=r.peak_rss_bytes,
            ioReadBytes=r.io_read_bytes,
            ioWriteBytes=r.io_write_bytes,
            gpu=r.gpu,
            producer=P,
        )
    if run.environment is not None:
        e = run.environment
        facets["trackline_environment"] = tf.TracklineEnvironmentRunFacet(
            digest=e.digest,
            python=e.python,
            platform=e.platform,
            hostname=e.hostname,
            cpuCount=e.cpu_count,
            memoryBytes=e.memory_bytes,
            packagesDigest=e.packages_digest,
            packages=dict(e.packages),
            gitCommit=e.git_commit,
            gitBranch=e.git_branch,
            gitDirty=e.git_dirty,
            accelerators=list(e.accelerators),
            producer=P,
        )
    if ctx.evaluations:
        facets["trackline_evaluation"] = tf.TracklineEvaluationRunFacet(
            evaluations=[
                {
                    "id": ev.id,
                    "modelDigest": ev.model_digest,
                    "datasetDigest": ev.dataset_digest,
                    "modelName": ev.model_name,
                    "modelVersion": ev.model_version,
                    "datasetName": ev.dataset_name,
                    "metrics": {k: json_float(v) for k, v in ev.metrics.items()},
                    "slices": {
                        s: {k: json_float(v) for k, v in m.items()} for s, m in ev.slices.items()
                    },
                    "createdAt": _iso(ev.created_at),
                }
                for ev in ctx.evaluations
            ],
            producer=P,
        )
    return facets


def _parent(run: TaskRun, ctx: RunContext, namespace: str) -> Any:
    pipe = ctx.pipeline_run
    root = None
    if pipe is not None:
        root = parent_run.Root(
            run=parent_run.RootRun(runId=run_uuid(pipe.id, pipe.started_at)),
            job=parent_run.RootJob(namespace=namespace, name=pipe.pipeline),
        )
    if ctx.parent is not None:
        p = ctx.parent
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run_uuid(p.id, p.started_at)),
            job=parent_run.Job(namespace=namespace, name=job_name(p)),
            root=root,
            producer=P,
        )
    if pipe is not None:
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=root.run.runId),
            job=parent_run.Job(namespace=namespace, name=pipe.pipeline),
            root=root,
            producer=P,
        )
    return None


def _datasets(refs: list[ArtifactRef], ctx: RunContext) -> list[tuple[str, str, dict[str, Any]]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in refs:
        art = ctx.artifacts.get(ref.digest) or Artifact(
            digest=ref.digest, kind=ref.kind, uri=ref.uri
        )
        key = dataset_of(art.uri, art.digest)
        if key not in seen:
            seen[key] = _dataset_facets(art, ref.name, ctx)
    return [(ns, name, f) for (ns, name), f in seen.items()]


def _dataset_facets(art: Artifact, slot: str, ctx: RunContext) -> dict[str, Any]:
    by_name = is_name_identified(art.digest, art.uri)
    facets: dict[str, Any] = {
        "trackline_artifact": tf.TracklineArtifactDatasetFacet(
            digest=art.digest,
            kind=art.kind,
            identifiedBy="name" if by_name else "digest",
            sizeBytes=art.size_bytes,
            mediaType=art.media_type,
            rows=art.rows,
            slot=slot,
            producer=P,
        )
    }
    if not by_name:  # a content digest is a version of the data; a URI hash is not
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=f"sha256:{art.digest}", producer=P
        )
    kind = _DATASET_TYPES.get(art.kind)
    if kind is not None:
        facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType=kind, producer=P
        )
    if art.columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name=c.name, type=c.dtype)
                for c in art.columns
            ],
            producer=P,
        )
    versions = ctx.model_versions.get(art.digest)
    if versions:
        facets["trackline_modelVersion"] = tf.TracklineModelVersionDatasetFacet(
            versions=[
                {
                    "name": v.name,
                    "version": v.version,
                    "aliases": list(v.aliases),
                    "runId": v.run_id,
                    "createdAt": _iso(v.created_at),
                }
                for v in versions
            ],
            producer=P,
        )
    decisions = ctx.decisions.get(art.digest)
    if decisions:
        facets["trackline_gateDecision"] = tf.TracklineGateDecisionDatasetFacet(
            decisions=[
                {
                    "id": d.id,
                    "policyName": d.policy_name,
                    "policyDigest": d.policy_digest,
                    "modelName": d.model_name,
                    "modelVersion": d.model_version,
                    "verdict": d.verdict,
                    "failedRules": [r.rule for r in d.results if not r.passed],
                    "createdAt": _iso(d.created_at),
                }
                for d in decisions
            ],
            producer=P,
        )
    return facets


def _metric(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": json_float(m.value),
        "timestamp": _iso(m.timestamp),
    }
    if m.step is not None:
        out["step"] = m.step
    return out


def json_value(value: Any) -> Any:
    """Params as JSON (non-finite floats as strings, the metric convention)."""
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value
