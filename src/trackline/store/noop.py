"""The store behind ``TRACKLINE_DISABLED=1``: accepts every write, remembers nothing."""

from __future__ import annotations

from ..errors import NotFound
from ..model.runs import LineageGraph
from .protocols import RunStore

__all__ = ["NoopStore"]


class NoopStore(RunStore):
    url = "noop://"

    def write_task_run(self, run):  # type: ignore[override]
        return None

    def write_pipeline_run(self, run):  # type: ignore[override]
        return None

    def heartbeat(self, task_run_ids, pipeline_run_ids, at):  # type: ignore[override]
        return None

    def reap(self, stale_before):  # type: ignore[override]
        return []

    def list_runs(self, query):  # type: ignore[override]
        return []

    def get_run(self, ref):  # type: ignore[override]
        raise NotFound(f"no run {ref!r} (tracking is disabled)")

    def list_pipeline_runs(self, pipeline=None, limit=100):  # type: ignore[override]
        return []

    def get_pipeline_run(self, ref):  # type: ignore[override]
        raise NotFound(f"no pipeline run {ref!r} (tracking is disabled)")

    def list_artifacts(self, kind=None, limit=100):  # type: ignore[override]
        return []

    def get_artifact(self, ref):  # type: ignore[override]
        raise NotFound(f"no artifact {ref!r} (tracking is disabled)")

    def lineage(self, ref, direction="upstream", depth=None):  # type: ignore[override]
        return LineageGraph(root=ref, direction=direction, depth=depth, nodes=[], edges=[])
