"""Hand-built records for API tests (the pipelines build real ones)."""

from __future__ import annotations

import uuid

from trackline.capture.artifacts import describe
from trackline.model.runs import ArtifactRef, Metric, PipelineRun, TaskRun, utcnow


def pipeline_run(pipeline: str = "api-test") -> PipelineRun:
    return PipelineRun(id=uuid.uuid4().hex, pipeline=pipeline, status="success", ended_at=utcnow())


def task_run(
    pipeline_run_id: str | None = None, *, value: object = None, pipeline: str = "api-test"
) -> TaskRun:
    art = describe(value if value is not None else {"rows": uuid.uuid4().hex})
    run = TaskRun(
        id=uuid.uuid4().hex,
        name="api-step",
        pipeline=pipeline,
        pipeline_run_id=pipeline_run_id,
        status="success",
        ended_at=utcnow(),
        duration_s=0.5,
        params={"alpha": 0.1, "tag": "x"},
        outputs=[ArtifactRef(name="return", digest=art.digest, kind=art.kind)],
        metrics=[
            Metric(id=uuid.uuid4().hex, key="loss", value=v, step=i)
            for i, v in enumerate([0.9, 0.5, 0.2])
        ],
    )
    run.artifacts = [art]
    return run


def body(run: TaskRun) -> dict:
    data = run.model_dump(mode="json")
    data["artifacts"] = [a.model_dump(mode="json") for a in run.artifacts]
    return data
