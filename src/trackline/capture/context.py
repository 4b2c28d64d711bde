"""The current task run and pipeline run travel in context variables, not globals.

So concurrent threads and asyncio tasks each see their own run, and nested tracked calls find
their parent.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from ..errors import NoActiveRun

if TYPE_CHECKING:
    from .pipeline import PipelineRecorder
    from .recorder import RunRecorder

__all__ = ["current_run", "current_pipeline", "active_run", "RUN", "PIPELINE"]

RUN: ContextVar[RunRecorder | None] = ContextVar("trackline_run", default=None)
PIPELINE: ContextVar[PipelineRecorder | None] = ContextVar("trackline_pipeline", default=None)


def current_run() -> RunRecorder | None:
    """The task run being recorded in this context, or ``None``."""
    return RUN.get()


def current_pipeline() -> PipelineRecorder | None:
    return PIPELINE.get()


def active_run(what: str) -> RunRecorder:
    run = RUN.get()
    if run is None:
        raise NoActiveRun(
            f"trackline.{what}() was called outside a tracked task: decorate the function with "
            "@tracked_task or open one with `with trackline.task_run(...)`"
        )
    return run
