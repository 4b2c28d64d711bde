"""Explicit logging inside a tracked task, and manual task runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..model.runs import Artifact
from .context import active_run
from .recorder import RunRecorder

__all__ = ["log_metric", "log_metrics", "log_param", "log_params", "log_artifact", "task_run"]


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record a metric of the current task run (a step series when ``step`` is given)."""
    active_run("log_metric").log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    run = active_run("log_metrics")
    for k, v in metrics.items():
        run.log_metric(k, v, step)


def log_param(key: str, value: Any) -> None:
    active_run("log_param").log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    active_run("log_params").log_params(params)


def log_artifact(
    value: Any, *, name: str | None = None, kind: str | None = None, direction: str = "output"
) -> Artifact:
    """Record a value, path or URI as an output (or ``direction="input"``) of the current run."""
    return active_run("log_artifact").log_artifact(value, name=name, kind=kind, direction=direction)


@contextmanager
def task_run(name: str, **params: Any) -> Iterator[RunRecorder]:
    """Record the block as one task run: ``with trackline.task_run("clean", rows=10) as run:``."""
    with RunRecorder(name) as rec:
        rec.log_params(params)
        yield rec
