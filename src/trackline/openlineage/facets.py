"""trackline's custom OpenLineage facets: ML data the spec has no facet for.

Every facet name starts with ``trackline_`` (the spec's rule for custom facets), carries a
versioned ``_schemaURL`` whose JSON Schema ships in this package (``schemas/``), and the
producer URI of this trackline release. Built on the openlineage-python client's facet classes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import attr
from openlineage.client.facet_v2 import DatasetFacet, RunFacet

from .._version import __version__

__all__ = [
    "PRODUCER",
    "SCHEMA_BASE",
    "FACET_NAMES",
    "facet_schema",
    "schema_url",
    "TracklineRunFacet",
    "TracklineParamsRunFacet",
    "TracklineMetricsRunFacet",
    "TracklineResourcesRunFacet",
    "TracklineEnvironmentRunFacet",
    "TracklineEvaluationRunFacet",
    "TracklineArtifactDatasetFacet",
    "TracklineModelVersionDatasetFacet",
    "TracklineGateDecisionDatasetFacet",
]

PRODUCER = f"https://pypi.org/project/trackline/{__version__}/"
SCHEMA_BASE = "https://trackline.dev/spec/facets/1-0-0/"

# facet key in an event → class name (and schema file name)
FACET_NAMES = {
    "trackline_run": "TracklineRunFacet",
    "trackline_params": "TracklineParamsRunFacet",
    "trackline_metrics": "TracklineMetricsRunFacet",
    "trackline_resources": "TracklineResourcesRunFacet",
    "trackline_environment": "TracklineEnvironmentRunFacet",
    "trackline_evaluation": "TracklineEvaluationRunFacet",
    "trackline_artifact": "TracklineArtifactDatasetFacet",
    "trackline_modelVersion": "TracklineModelVersionDatasetFacet",
    "trackline_gateDecision": "TracklineGateDecisionDatasetFacet",
}


def schema_url(name: str) -> str:
    return f"{SCHEMA_BASE}{name}.json#/$defs/{name}"


@cache
def facet_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of facet class ``name``, as shipped in the package."""
    text = resources.files(__package__).joinpath("schemas", f"{name}.json").read_text("utf-8")
    return json.loads(text)


@attr.define
class TracklineRunFacet(RunFacet):
    id: str = attr.field(default="")
    kind: str = attr.field(default="task_run")
    status: str = attr.field(default="")
    pipeline: str | None = attr.field(default=None)
    pipelineRunId: str | None = attr.field(default=None)  # noqa: N815
    parentId: str | None = attr.field(default=None)  # noqa: N815
    durationSeconds: float | None = attr.field(default=None)  # noqa: N815
    codeDigest: str | None = attr.field(default=None)  # noqa: N815
    externalIds: dict[str, Any] = attr.field(factory=dict)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineRunFacet")


@attr.define
class TracklineParamsRunFacet(RunFacet):
    params: dict[str, Any] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineParamsRunFacet")


@attr.define
class TracklineMetricsRunFacet(RunFacet):
    metrics: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineMetricsRunFacet")


@attr.define
class TracklineResourcesRunFacet(RunFacet):
    cpuUserSeconds: float = attr.field(default=0.0)  # noqa: N815
    cpuSystemSeconds: float = attr.field(default=0.0)  # noqa: N815
    peakRssBytes: int = attr.field(default=0)  # noqa: N815
    ioReadBytes: int | None = attr.field(default=None)  # noqa: N815
    ioWriteBytes: int | None = attr.field(default=None)  # noqa: N815
    gpu: dict[str, Any] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineResourcesRunFacet")


@attr.define
class TracklineEnvironmentRunFacet(RunFacet):
    digest: str = attr.field(default="")
    python: str = attr.field(default="")
    platform: str = attr.field(default="")
    packagesDigest: str = attr.field(default="")  # noqa: N815
    hostname: str | None = attr.field(default=None)
    cpuCount: int | None = attr.field(default=None)  # noqa: N815
    memoryBytes: int | None = attr.field(default=None)  # noqa: N815
    packages: dict[str, str] = attr.field(factory=dict)
    gitCommit: str | None = attr.field(default=None)  # noqa: N815
    gitBranch: str | None = attr.field(default=None)  # noqa: N815
    gitDirty: bool | None = attr.field(default=None)  # noqa: N815
    accelerators: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineEnvironmentRunFacet")


@attr.define
class TracklineEvaluationRunFacet(RunFacet):
    evaluations: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineEvaluationRunFacet")


@attr.define
class TracklineArtifactDatasetFacet(DatasetFacet):
    digest: str = attr.field(default="")
    kind: str = attr.field(default="")
    identifiedBy: str = attr.field(default="digest")  # noqa: N815
    sizeBytes: int | None = attr.field(default=None)  # noqa: N815
    mediaType: str | None = attr.field(default=None)  # noqa: N815
    rows: int | None = attr.field(default=None)
    slot: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineArtifactDatasetFacet")


@attr.define
class TracklineModelVersionDatasetFacet(DatasetFacet):
    versions: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineModelVersionDatasetFacet")


@attr.define
class TracklineGateDecisionDatasetFacet(DatasetFacet):
    decisions: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TracklineGateDecisionDatasetFacet")
