"""OpenLineage events in: runs of other producers become trackline pipeline and task runs.

Each received event is kept whole (unknown facets included) under the key (runId, eventType,
eventTime): a resent event changes nothing. The run's record is then folded from *all* of its
kept events, so COMPLETE before START, or one event arriving twice, gives the same record as the
orderly sequence. Datasets become artifacts identified by location (``namespace``/``name`` as a
URI) unless a version facet carries a content digest; ``trackline``-namespace names carry
trackline digests (round trip of trackline's own events).

Jobs whose ``jobType`` facet says DAG/FLOW/PIPELINE are pipeline runs; the rest are task runs,
with the ``parent`` facet naming their pipeline run. A ``trackline_run`` facet (trackline's own
events, or facets trackline added to Airflow's events) gives the trackline ids directly, so
the record merges with the one trackline's adapter wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InvalidInput, PayloadTooLarge
from ..model.canonical import hash_uri
from ..model.ids import deterministic_id
from ..model.runs import (
    Artifact,
    ArtifactRef,
    ColumnInfo,
    ErrorInfo,
    Metric,
    PipelineRun,
    RunStatus,
    TaskRun,
)
from ..store import LineageEventStore, RunStore, capability
from .ids import trackline_id_of
from .naming import DIGEST_NAMESPACE, dataset_uri, digest_of_name

__all__ = ["MAX_EVENT_BYTES", "IngestResult", "ingest_event", "parse_event"]

MAX_EVENT_BYTES = 1024 * 1024
_PIPELINE_JOB_TYPES = {"DAG", "FLOW", "PIPELINE"}
_STATUS = {
    "COMPLETE": RunStatus.SUCCESS.value,
    "FAIL": RunStatus.FAILED.value,
    "ABORT": RunStatus.CANCELLED.value,
}
_HEX64 = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")
_KINDS = {"TABLE": "table", "VIEW": "table", "MODEL": "model", "FILE": "file"}


class _Named(BaseModel):
    model_config = ConfigDict(extra="allow")
    namespace: str = Field(min_length=1, max_length=1024)
    name: str = Field(min_length=1, max_length=4096)
    facets: dict[str, Any] | None = None


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    runId: str = Field(min_length=1, max_length=128)  # noqa: N815
    facets: dict[str, Any] | None = None


class RunEventIn(BaseModel):
    """The part of an OpenLineage RunEvent trackline reads (the whole event is kept)."""

    model_config = ConfigDict(extra="allow")
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] = "OTHER"  # noqa: N815
    eventTime: str = Field(min_length=1, max_length=64)  # noqa: N815
    producer: str = Field(min_length=1, max_length=2048)
    run: _Run
    job: _Named
    inputs: list[_Named] = Field(default_factory=list)
    outputs: list[_Named] = Field(default_factory=list)

    @field_validator("eventTime")
    @classmethod
    def _time(cls, v: str) -> str:
        _parse_time(v)
        return v


class IngestResult(BaseModel):
    status: Literal["created", "duplicate"]
    kind: Literal["task_run", "pipeline_run"]
    id: str  # trackline id of the run
    run_id: str  # OpenLineage runId


def _parse_time(v: str) -> datetime:
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"eventTime {v!r} is not an ISO-8601 date-time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def parse_event(body: bytes, max_bytes: int = MAX_EVENT_BYTES) -> tuple[RunEventIn, dict]:
    """Check size and shape of one event; ``InvalidInput`` (or ``PayloadTooLarge``) says why."""
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"OpenLineage event of {len(body)} bytes is over {max_bytes} bytes")
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the OpenLineage event is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput("an OpenLineage event is a JSON object")
    if "run" not in raw and ("dataset" in raw or "job" in raw):
        raise InvalidInput("only RunEvents are ingested (this is a DatasetEvent or JobEvent)")
    try:
        return RunEventIn.model_validate(raw), raw
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"invalid OpenLineage event at {where}: {first['msg']}") from None


def ingest_event(store: RunStore, body: bytes, max_bytes: int = MAX_EVENT_BYTES) -> IngestResult:
    """Keep one event and (re)write the run it belongs to, folded from all of its events."""
    event, raw = parse_event(body, max_bytes)
    log = capability(store, LineageEventStore)
    new = log.add_openlineage_event(
        event.run.runId, event.eventType, event.eventTime, event.job.namespace, event.job.name, raw
    )
    events = [RunEventIn.model_validate(p) for p in log.openlineage_events(event.run.runId)]
    record = fold(events, known=log.pipeline_run_for_openlineage)
    if isinstance(record, PipelineRun):
        store.write_pipeline_run(record)
        kind = "pipeline_run"
    else:
        store.write_task_run(record)
        kind = "task_run"
    return IngestResult(
        status="created" if new else "duplicate", kind=kind, id=record.id, run_id=event.run.runId
    )


# -- folding events into one record -----------------------------------------------------------
def _facet(events: list[RunEventIn], where: str, name: str) -> dict[str, Any] | None:
    """The newest event's facet ``name`` of the run (``where="run"``) or job."""
    for ev in reversed(events):
        facets = (ev.run.facets if where == "run" else ev.job.facets) or {}
        if isinstance(facets.get(name), dict):
            return facets[name]
    return None


def fold(
    events: list[RunEventIn], known: Callable[[str], str | None] = lambda _: None
) -> TaskRun | PipelineRun:
    """One record from all events of a run. ``known`` maps another producer's run id to a
    pipeline run trackline already has (an Airflow dag run its listener recorded)."""
    events = sorted(events, key=lambda e: _parse_time(e.eventTime))
    last = events[-1]
    own = _facet(events, "run", "trackline_run") or {}
    job_type = (_facet(events, "job", "jobType") or {}).get("jobType")
    starts = [e for e in events if e.eventType in ("START", "RUNNING")]
    ends = [e for e in events if e.eventType in _STATUS]
    started = _parse_time((starts or events)[0].eventTime)
    ended = _parse_time(ends[-1].eventTime) if ends else None
    status = _STATUS[ends[-1].eventType] if ends else RunStatus.RUNNING.value
    external = _external_ids(events, own)
    duration = (ended - started).total_seconds() if ended else None
    is_pipeline = own.get("kind") == "pipeline_run" or (
        not own and str(job_type or "").upper() in _PIPELINE_JOB_TYPES
    )
    if is_pipeline:
        return PipelineRun(
            id=own.get("id") or known(last.run.runId) or trackline_id_of(last.run.runId),
            pipeline=own.get("pipeline") or last.job.name,
            status=status,
            started_at=started,
            ended_at=ended,
            duration_s=duration,
            external_ids=external,
        )
    parent = _facet(events, "run", "parent") or {}
    parent_job = (parent.get("job") or {}).get("name")
    parent_run = (parent.get("run") or {}).get("runId")
    name = last.job.name
    if parent_job and name.startswith(parent_job + "."):
        name = name[len(parent_job) + 1 :]  # Airflow's "dag.task" → task, as trackline names it
    artifacts: dict[str, Artifact] = {}
    inputs = _refs([d for e in events for d in e.inputs], artifacts)
    outputs = _refs([d for e in events for d in e.outputs], artifacts)
    error = _facet(events, "run", "errorMessage")
    params = (_facet(events, "run", "trackline_params") or {}).get("params")
    return TaskRun(
        id=own.get("id") or trackline_id_of(last.run.runId),
        name=own.get("name") or name,
        pipeline=own.get("pipeline") or parent_job,
        pipeline_run_id=own.get("pipelineRunId")
        or (known(parent_run) or trackline_id_of(parent_run) if parent_run else None),
        parent_id=own.get("parentId"),
        status=status,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        params=params if isinstance(params, dict) else {},
        inputs=inputs,
        outputs=outputs,
        metrics=_metrics(last.run.runId, _facet(events, "run", "trackline_metrics")),
        external_ids=external,
        error=ErrorInfo(
            type="openlineage.ErrorMessage",
            message=str(error.get("message", "")),
            traceback=error.get("stackTrace"),
        )
        if error
        else None,
        artifacts=list(artifacts.values()),
    )


def _external_ids(events: list[RunEventIn], own: dict[str, Any]) -> dict[str, Any]:
    last = events[-1]
    ids: dict[str, Any] = dict(own.get("externalIds") or {})
    ids.update(
        {
            "openlineage_run_id": last.run.runId,
            "openlineage_job": f"{last.job.namespace}/{last.job.name}",
            "openlineage_producer": last.producer,
        }
    )
    airflow = _facet(events, "run", "airflow") or {}
    ti = airflow.get("taskInstance") or {}
    dag_run = airflow.get("dagRun") or {}
    for key, value in (
        ("dag_id", dag_run.get("dag_id") or (airflow.get("dag") or {}).get("dag_id")),
        ("run_id", dag_run.get("run_id")),
        ("task_id", (airflow.get("task") or {}).get("task_id")),
        ("try_number", ti.get("try_number")),
        ("map_index", ti.get("map_index")),
    ):
        if value is not None:
            ids.setdefault(key, value)
    if airflow:
        ids.setdefault("orchestrator", "airflow")
    return ids


def _refs(datasets: list[_Named], artifacts: dict[str, Artifact]) -> list[ArtifactRef]:
    refs: dict[str, ArtifactRef] = {}
    for ds in datasets:
        art = dataset_artifact(ds.namespace, ds.name, ds.facets or {})
        artifacts.setdefault(art.digest, art)
        slot = f"{ds.namespace}/{ds.name}"[:512]
        refs.setdefault(
            art.digest, ArtifactRef(name=slot, digest=art.digest, kind=art.kind, uri=art.uri)
        )
    return list(refs.values())


def dataset_artifact(namespace: str, name: str, facets: dict[str, Any]) -> Artifact:
    """One OpenLineage dataset as a trackline artifact (by digest when one is known)."""
    own = (
        facets.get("trackline_artifact")
        if isinstance(facets.get("trackline_artifact"), dict)
        else {}
    )
    version = facets.get("version") if isinstance(facets.get("version"), dict) else {}
    match = _HEX64.match(str(version.get("datasetVersion", "")).lower())
    uri = None if namespace == DIGEST_NAMESPACE else dataset_uri(namespace, name)
    digest = (
        digest_of_name(namespace, name)
        or (match.group(1) if match else None)
        or (own.get("digest") if own.get("identifiedBy") == "digest" else None)
        or hash_uri(uri or f"{namespace}/{name}")
    )
    dtype = facets.get("datasetType") if isinstance(facets.get("datasetType"), dict) else {}
    kind = own.get("kind") or _KINDS.get(str(dtype.get("datasetType", "")).upper())
    if kind is None:
        kind = "table" if "://" in namespace and not namespace.startswith("file") else "uri"
    schema = facets.get("schema") if isinstance(facets.get("schema"), dict) else {}
    columns = [
        ColumnInfo(name=str(f.get("name")), dtype=str(f.get("type") or ""))
        for f in schema.get("fields") or []
        if isinstance(f, dict) and f.get("name")
    ]
    return Artifact(
        digest=digest,
        kind=kind,
        uri=uri,
        name=name[:512],
        columns=columns or None,
        rows=own.get("rows") if isinstance(own.get("rows"), int) else None,
        size_bytes=own.get("sizeBytes") if isinstance(own.get("sizeBytes"), int) else None,
    )


def _metrics(run_id: str, facet: dict[str, Any] | None) -> list[Metric]:
    out: list[Metric] = []
    for m in (facet or {}).get("metrics") or []:
        try:
            value = float(m["value"])
            ts = _parse_time(m["timestamp"]) if m.get("timestamp") else None
            step = m.get("step")
            out.append(
                Metric(
                    id=deterministic_id(
                        "openlineage-metric", run_id, m["key"], step, m.get("timestamp")
                    ),
                    key=str(m["key"]),
                    value=value,
                    step=step,
                    **({"timestamp": ts} if ts else {}),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a metric trackline cannot read stays in the kept event
    return out
