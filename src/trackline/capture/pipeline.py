"""Pipeline runs: a group of task runs (a DAG run, a flow run, or a ``with pipeline_run(...)``)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import Token
from typing import Any

from ..config import Settings, settings
from ..model.ids import new_id
from ..model.plain import plain_mapping
from ..model.runs import PipelineRun, RunStatus, utcnow
from ..store import RunStore, get_store
from ..store.observers import notify_started
from . import heartbeat
from .context import PIPELINE

__all__ = ["PipelineRecorder", "pipeline_run"]

_HOST = socket.gethostname()


class PipelineRecorder:
    """Opens a pipeline run (written at once, with a lease) and closes it with a status."""

    def __init__(
        self,
        pipeline: str,
        *,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
        external_ids: Mapping[str, Any] | None = None,
        store: RunStore | None = None,
        settings_: Settings | None = None,
    ) -> None:
        self.settings = settings_ or settings()
        self.store = store or get_store(self.settings)
        self.pipeline = pipeline
        self.id = run_id or new_id()
        self.record = PipelineRun(
            id=self.id,
            pipeline=pipeline,
            config=plain_mapping(config),
            external_ids=plain_mapping(external_ids),
            host=_HOST,
            pid=os.getpid(),
        )
        self.started_mono = 0.0
        self._token: Token | None = None
        self._announced = False

    def start(
        self, *, lease: bool = True, enter_context: bool = True, announce: bool | None = None
    ) -> PipelineRecorder:
        """Write the running record. ``lease=False`` for runs whose process is not the owner
        (not announced either: the run started elsewhere). ``announce=False`` for a caller that
        still sets the start time and calls ``announce`` itself."""
        self.started_mono = time.monotonic()
        self.record.started_at = self.record.heartbeat_at = utcnow()
        if not lease:
            self.record.pid = None
        self.store.write_pipeline_run(self.record)
        if enter_context:
            self._token = PIPELINE.set(self)
        if lease:
            heartbeat.register(self)
        if lease if announce is None else announce:
            self.announce()
        return self

    def announce(self) -> None:
        """Tell the started-run observers (OpenLineage's START) that this run started, once."""
        if not self._announced:
            self._announced = True
            # Copied only for an observer that wants it (emission off costs nothing here).
            notify_started("pipeline_run", lambda: (self.record.model_copy(), None), self.settings)

    def finish(self, status: str = RunStatus.SUCCESS.value) -> PipelineRun:
        heartbeat.unregister(self)
        if self._token is not None:
            try:
                PIPELINE.reset(self._token)
            except ValueError:
                PIPELINE.set(None)
            self._token = None
        rec = self.record.model_copy()
        rec.status = status
        rec.ended_at = utcnow()
        if self.started_mono:
            rec.duration_s = round(time.monotonic() - self.started_mono, 6)
        elif rec.started_at:
            rec.duration_s = (rec.ended_at - rec.started_at).total_seconds()
        self.store.write_pipeline_run(rec)
        return rec

    # heartbeat protocol
    def intervals(self) -> tuple[float, float, float]:
        s = self.settings
        return s.heartbeat_interval, float("inf"), s.heartbeat_interval

    def sample(self) -> None:
        return None

    def beat(self) -> None:
        self.store.heartbeat([], [self.id], utcnow())


@contextmanager
def pipeline_run(
    name: str,
    *,
    run_id: str | None = None,
    external_ids: Mapping[str, Any] | None = None,
    **config: Any,
) -> Iterator[PipelineRecorder]:
    """Group the tracked calls inside the block into one pipeline run of pipeline ``name``."""
    rec = PipelineRecorder(name, run_id=run_id, config=config, external_ids=external_ids).start()
    try:
        yield rec
    except BaseException:
        rec.finish(RunStatus.FAILED.value)
        raise
    rec.finish(RunStatus.SUCCESS.value)
