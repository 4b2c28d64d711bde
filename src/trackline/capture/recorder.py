"""The one capture core: start → params/inputs → finish with outputs, status and resources.

``@tracked_task``, the Airflow operators, decorator and listener and the Prefect hooks all drive
a ``RunRecorder``; adapters only translate orchestrator identities into its arguments.
Nothing in here raises into the user's code unless strict mode asks for it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Mapping
from contextvars import Token
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Settings, settings
from ..errors import InvalidInput, TracklineError, expect
from ..model.ids import new_id
from ..model.limits import NAME_LEN, TEXT_LEN, clean_text
from ..model.plain import plain_json, plain_mapping
from ..model.runs import Artifact, ArtifactRef, ErrorInfo, RunStatus, TaskRun, utcnow
from ..model.trusted import construct
from ..store import RunStore, get_store
from ..store.observers import notify_started
from . import heartbeat
from .ambient import ambient_identity
from .artifacts import (
    MANIFEST_MAX_FILES,
    describe,
    describe_path,
    is_artifact_like,
    is_json_value,
    json_size,
)
from .code import code_identity
from .context import PIPELINE, RUN
from .environment import capture_environment
from .metrics import MetricBuffer
from .observe import INPUT, PathWatch, path_state
from .resources import ResourceMeter

__all__ = ["RunRecorder", "failure_status"]

log = logging.getLogger("trackline")
_HOST = socket.gethostname()


def _plain_heads(fields: dict[str, Any]) -> bool:
    """A snapshot's caller-given fields are of the types ``TaskRun`` declares."""
    return (
        type(fields["id"]) is str
        and type(fields["name"]) is str
        and type(fields["status"]) is str
        and all(type(fields[k]) in (str, type(None)) for k in _OPTIONAL_TEXT)
        and isinstance(fields["started_at"], datetime)
        and fields["started_at"].tzinfo is not None
    )


_OPTIONAL_TEXT = ("pipeline", "pipeline_run_id", "parent_id", "code_digest")
_LINK_STR_LEN = 64
# Containers are recorded element by element up to this many elements; the rest as one value.
MAX_ELEMENTS = 100


def failure_status(exc: BaseException) -> str:
    """An exception is a failure of the run; a KeyboardInterrupt, SystemExit or an orchestrator's
    termination signal (BaseException, not Exception) means the run was stopped: crashed."""
    return RunStatus.FAILED.value if isinstance(exc, Exception) else RunStatus.CRASHED.value


class RunRecorder:
    """Records one task run. Use as a context manager or call ``start()`` / ``finish()``."""

    def __init__(
        self,
        name: str,
        *,
        run_id: str | None = None,
        pipeline: str | None = None,
        pipeline_run_id: str | None = None,
        parent_id: str | None = None,
        external_ids: Mapping[str, Any] | None = None,
        func: Any = None,
        store: RunStore | None = None,
        config: Settings | None = None,
        eager_start: bool = False,
        use_ambient: bool = True,
        profile: str | None = None,
        keep: str | None = None,
    ) -> None:
        self.config = config or settings()
        self.store = store or get_store(self.config)
        ambient = ambient_identity() if use_ambient else None
        parent = RUN.get()
        pipe = PIPELINE.get()
        amb = ambient or {}
        self.id = run_id or amb.get("run_id") or new_id()
        self.name = name if not amb.get("name") else amb["name"]
        self.pipeline = (
            pipeline
            or amb.get("pipeline")
            or (pipe.pipeline if pipe else None)
            or (parent.pipeline if parent else None)
        )
        self.pipeline_run_id = (
            pipeline_run_id
            or amb.get("pipeline_run_id")
            or (pipe.id if pipe else None)
            or (parent.pipeline_run_id if parent else None)
        )
        # An adapter and a decorator may describe the same task run (same id): not its own parent.
        self.parent_id = parent_id or (parent.id if parent and parent.id != self.id else None)
        self._parent = parent if parent is not None and parent.id == self.parent_id else None
        self._announced = False
        self.external_ids = plain_mapping({**amb.get("external_ids", {}), **(external_ids or {})})
        # Values the orchestrator injected into the call (e.g. Airflow's context) are not inputs.
        self.injected: dict[str, Any] = dict(amb.get("injected") or {})
        self.func = func
        self.eager_start = eager_start
        self.profile = profile  # data-profile mode of this run's tabular artifacts (None: global)
        self.keep = keep  # what this run keeps of its bytes (None: TRACKLINE_KEEP)
        # In-memory values by digest, so the keep policy can serialise the ones it keeps.
        self.values: dict[str, Any] = {}
        self.params: dict[str, Any] = {}
        self.inputs: list[ArtifactRef] = []
        self.outputs: list[ArtifactRef] = []
        self.artifacts: dict[str, Artifact] = {}
        self.metrics = MetricBuffer()
        self._token: Token | None = None
        self._watched: list[PathWatch] = []
        self.started_at: datetime | None = None
        self.started_mono = 0.0
        self.meter: ResourceMeter | None = None
        self.finished: TaskRun | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> RunRecorder:
        self.started_at = utcnow()
        self.started_mono = time.monotonic()
        self.meter = ResourceMeter()
        self._token = RUN.set(self)
        if self.eager_start:
            self._guard(lambda: self.store.write_task_run(self.snapshot()))
        heartbeat.register(self)
        return self

    def announce(self) -> None:
        """Tell the started-run observers (OpenLineage's START) what this run starts with, once.

        Not part of ``start``: callers announce after they set what the start event must carry
        (the arguments, an orchestrator's start time, which the run's derived ids depend on).
        Recorders of runs that already ended elsewhere never announce."""
        if self._announced or self.finished is not None:
            return
        self._announced = True
        notify_started("task_run", self._describe_start, self.config)

    def _describe_start(self) -> tuple[TaskRun, TaskRun | None]:
        """The running record and its parent's, built only for an observer that wants them."""
        record = self.snapshot(take_metrics=False)  # a look, not a write: they still go out
        p = self._parent
        if p is None:
            return record, None
        parent = TaskRun(
            id=p.id,
            name=p.name,
            pipeline=p.pipeline,
            pipeline_run_id=p.pipeline_run_id,
            started_at=p.started_at or record.started_at,
        )
        return record, parent

    def finish(
        self,
        status: str = RunStatus.SUCCESS.value,
        error: BaseException | ErrorInfo | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> TaskRun | None:
        """Write the whole record in one transaction and leave the run's context."""
        heartbeat.unregister(self)
        if self._token is not None:
            try:
                RUN.reset(self._token)
            except ValueError:  # finished from another context (e.g. an orchestrator hook)
                RUN.set(None)
            self._token = None
        if self.finished is not None:
            return self.finished
        try:
            self._observe_paths()
            record = self.snapshot(status=status)
            record.ended_at = ended_at or utcnow()
            record.duration_s = round(time.monotonic() - self.started_mono, 6)
            record.resources = self.meter.finish() if self.meter else None
            if isinstance(error, BaseException):
                kind = f"{type(error).__module__}.{type(error).__qualname__}"
                # An exception's text may hold anything (NUL bytes, megabytes): made storable.
                record.error = ErrorInfo(
                    type=clean_text(kind.removeprefix("builtins."), NAME_LEN),
                    message=clean_text(str(error), TEXT_LEN),
                    traceback=clean_text("".join(traceback.format_exception(error)), TEXT_LEN),
                )
            elif error is not None:
                record.error = error
            if self.config.capture_environment:
                record.environment = capture_environment(
                    record.code.file if record.code else None, self.config.env_allowlist
                )
            self.finished = record
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)
            return None
        self._guard(lambda: self.store.write_task_run(record))
        if (self.keep or self.config.keep) != "none":
            from .keep import keep_run

            self._guard(lambda: keep_run(self))
        self.values = {}
        return record

    def detach(self) -> None:
        """Leave the caller's context without finishing: a generator's run is current only
        while the generator runs a step, not while it waits for its consumer."""
        if self._token is not None:
            try:
                RUN.reset(self._token)
            except ValueError:
                RUN.set(None)
            self._token = None

    def __enter__(self) -> RunRecorder:
        self.start()
        self.announce()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.finish()
        else:
            self.finish(failure_status(exc), exc)

    # -- what the run saw -----------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.params[str(key)] = plain_json(value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        for k, v in params.items():
            self.log_param(k, v)

    def log_metric(
        self, key: str, value: Any, step: int | None = None, timestamp: datetime | None = None
    ) -> None:
        if self.metrics.log(key, value, step, timestamp) and self.started_at and not self.finished:
            self._guard(lambda: self.store.write_task_run(self.snapshot()))

    def log_artifact(
        self,
        value: Any,
        *,
        name: str | None = None,
        kind: str | None = None,
        direction: str = "output",
    ) -> Artifact:
        if direction not in ("input", "output"):
            raise InvalidInput(f"direction must be 'input' or 'output', not {direction!r}")
        expect(name, str, "name")
        expect(kind, str, "kind")
        if isinstance(value, str) and "://" in value:
            from ..model.canonical import hash_uri

            art = Artifact(digest=hash_uri(value), kind=kind or "uri", uri=value, name=name)
        else:
            if isinstance(value, str) and os.path.exists(value):
                value = Path(value)
            art = describe(
                value, kind=kind, name=name, home=self.config.home, use_cache=self.config.hash_cache
            )
            if not isinstance(value, os.PathLike):
                self.values.setdefault(art.digest, value)
        self.add_artifact(direction, name or art.name or art.digest[:12], art)
        return art

    def add_artifact(self, direction: str, slot: str, art: Artifact) -> None:
        """Record ``art`` as an input or output of this run under ``slot``."""
        self.artifacts.setdefault(art.digest, art)
        ref = ArtifactRef(name=slot, digest=art.digest, kind=art.kind, uri=art.uri)
        (self.inputs if direction == "input" else self.outputs).append(ref)

    def record_arguments(
        self,
        arguments: Mapping[str, Any],
        kinds: Mapping[str, str] | None = None,
        roles: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """Small JSON values become params; frames, arrays and objects become inputs; paths are
        watched (input or output by observation, or as ``roles`` declares); list/tuple/dict
        arguments holding such data are recorded element by element (``dfs[0]``)."""
        kinds, roles = kinds or {}, roles or {}
        limit = self.config.max_param_bytes
        for name, value in arguments.items():
            if name in self.injected and self.injected[name] is value:
                continue
            try:
                self._record_argument(name, value, kinds.get(name), limit, roles.get(name))
            except Exception as exc:  # noqa: BLE001
                self._fail(exc)

    def _record_argument(
        self, name: str, value: Any, kind: str | None, limit: int, role: frozenset[str] | None
    ) -> None:
        home, cache = self.config.home, self.config.hash_cache
        if isinstance(value, os.PathLike):
            self.params[name] = plain_json(value)
            self.watch_path(name, Path(value), kind=kind, declared=role or frozenset())
            return
        if (
            value is None
            or isinstance(value, (bool, int))
            or (isinstance(value, float))
            or (isinstance(value, str) and len(value) < _LINK_STR_LEN)
        ):
            self.params[name] = plain_json(value)
            return
        if _element_wise(value):
            self.params[name] = _container_summary(value)
            for slot, item in _elements(name, value):
                if isinstance(item, os.PathLike):
                    self.watch_path(slot, Path(item), kind=kind, declared=role or frozenset())
                else:
                    self.add_artifact(
                        "input", slot, describe(item, kind=kind, home=home, use_cache=cache)
                    )
            return
        if is_json_value(value) and json_size(value) <= limit:
            self.params[name] = plain_json(value)
        # Containers and long strings also link lineage by digest (e.g. values passed via XCom).
        art = describe(value, kind=kind, home=home, use_cache=cache)
        self.values.setdefault(art.digest, value)
        self.add_artifact("input", name, art)

    def watch_path(
        self,
        slot: str,
        path: Path,
        *,
        kind: str | None = None,
        declared: frozenset[str] = frozenset(),
    ) -> None:
        """Look at ``path`` now and again when the run finishes (see ``capture.observe``)."""
        watch = PathWatch(slot, path, path_state(path), kind, frozenset(declared))
        if INPUT in watch.declared and watch.before is not None:
            # A declared read (e.g. read-modify-write): the bytes before the call are an input.
            self._add_path(INPUT, watch, watch.before)
        self._watched.append(watch)

    def record_result(self, value: Any, kinds: Mapping[str, str] | None = None) -> None:
        """The return value is an output; tuples, lists and dicts also per element / key
        (``return.0``, ``return.train``), up to ``MAX_ELEMENTS``."""
        if value is None:
            return
        kinds = kinds or {}
        home, cache = self.config.home, self.config.hash_cache
        try:
            art = describe(value, kind=kinds.get("return"), home=home, use_cache=cache)
            if not isinstance(value, os.PathLike):
                self.values.setdefault(art.digest, value)
            self.add_artifact("output", "return", art)
            if isinstance(value, (tuple, list)) and not is_json_value(value):
                items = ((str(i), v) for i, v in enumerate(value[:MAX_ELEMENTS]))
            elif isinstance(value, dict) and not is_json_value(value):
                items = ((str(k), v) for k, v in list(value.items())[:MAX_ELEMENTS])
            else:
                items = ()
            for key, item in items:
                slot = f"return.{key}"
                art = describe(item, kind=kinds.get(slot), home=home, use_cache=cache)
                if not isinstance(item, os.PathLike):
                    self.values.setdefault(art.digest, item)
                self.add_artifact("output", slot, art)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    def _observe_paths(self) -> None:
        """Each watched path, looked at again: unchanged bytes are inputs, new bytes outputs."""
        for watch in self._watched:
            try:
                after = path_state(watch.path)
                for direction in watch.directions(after):
                    self._add_path(direction, watch, after)
            except Exception as exc:  # noqa: BLE001
                self._fail(exc)

    def _add_path(self, direction: str, watch: PathWatch, state: Any) -> None:
        listing = state[1] if state and state[0] == "dir" else None
        try:
            art = describe_path(
                watch.path,
                home=self.config.home,
                use_cache=self.config.hash_cache,
                listing=listing,
            )
        except OSError as exc:
            # Unreadable, or kept changing while hashed: say so, keep the path as a param.
            log.warning("trackline: %s %s not recorded: %s", direction, watch.path, exc)
            return
        if watch.kind:
            art.kind = watch.kind
        if art.files is None and art.file_count and art.file_count > MANIFEST_MAX_FILES:
            log.info(
                "trackline: %s has %d files; recorded by digest only", watch.path, art.file_count
            )
        self.add_artifact(direction, watch.slot, art)

    # -- records --------------------------------------------------------------------------
    def snapshot(
        self, status: str = RunStatus.RUNNING.value, *, take_metrics: bool = True
    ) -> TaskRun:
        digest, code = (
            code_identity(self.func, self.config.capture_source)
            if self.func is not None
            else (None, None)
        )
        series = self.metrics.take(consume=take_metrics)
        fields = {
            "id": self.id,
            "name": self.name,
            "pipeline": self.pipeline,
            "pipeline_run_id": self.pipeline_run_id,
            "parent_id": self.parent_id,
            "status": status,
            "started_at": self.started_at or utcnow(),
            "ended_at": None,
            "duration_s": None,
            "heartbeat_at": utcnow(),
            "host": _HOST,
            "pid": os.getpid(),
            "params": dict(self.params),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "metrics": [],
            "metric_series": series,
            "resources": None,
            "environment": None,
            "code_digest": digest,
            "code": code,
            "external_ids": dict(self.external_ids),
            "error": None,
            "artifacts": list(self.artifacts.values()),
        }
        # Everything but the names and times was built by this recorder, of its declared type;
        # those come from callers and orchestrators: the record is validated when one of them
        # is not what the model declares (and then fails as it always did).
        if _plain_heads(fields):
            return construct(TaskRun, fields)
        return TaskRun(**fields)

    # -- heartbeat protocol ---------------------------------------------------------------
    def intervals(self) -> tuple[float, float, float]:
        c = self.config
        return c.sample_interval, c.sample_after, c.heartbeat_interval

    def sample(self) -> None:
        if self.meter is not None:
            self.meter.sample()

    def write_running(self) -> None:
        """Write the running record now (what the run has seen so far); never raises unless
        strict. Used before something else must refer to this run (a model version)."""
        if self.finished is None:
            self._guard(lambda: self.store.write_task_run(self.snapshot()))
            flush = getattr(self.store, "flush", None)
            if flush is not None:  # a journaled write: it must have arrived before it is named
                self._guard(flush)

    def beat(self) -> None:
        self._guard(lambda: self.store.write_task_run(self.snapshot()))

    # -- failure policy -------------------------------------------------------------------
    def _guard(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if self.config.strict:
            raise (
                exc
                if isinstance(exc, TracklineError)
                else TracklineError(f"tracking run {self.name!r} failed: {exc}")
            ) from exc
        log.warning("trackline: tracking %s failed: %s: %s", self.name, type(exc).__name__, exc)


def _element_wise(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and any(is_artifact_like(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and any(is_artifact_like(v) for v in value[:MAX_ELEMENTS])
    return False


def _elements(name: str, value: Any):
    """``(slot, element)`` for the artifact-like elements: ``dfs[0]``, ``out["train"]``; past
    ``MAX_ELEMENTS`` the rest is one value (``dfs[100:]``)."""
    if isinstance(value, dict):
        items = list(value.items())
        for k, v in items[:MAX_ELEMENTS]:
            if is_artifact_like(v):
                key = f'"{k}"' if isinstance(k, str) else repr(k)
                yield f"{name}[{key}]", v
        if len(items) > MAX_ELEMENTS:
            yield f"{name}[{MAX_ELEMENTS}:]", dict(items[MAX_ELEMENTS:])
        return
    for i, v in enumerate(value[:MAX_ELEMENTS]):
        if is_artifact_like(v):
            yield f"{name}[{i}]", v
    if len(value) > MAX_ELEMENTS:
        yield f"{name}[{MAX_ELEMENTS}:]", list(value[MAX_ELEMENTS:])


def _container_summary(value: Any) -> str:
    n = len(value)
    shown = min(n, MAX_ELEMENTS)
    rest = f", elements {MAX_ELEMENTS}.. as one value" if n > MAX_ELEMENTS else ""
    return f"<{type(value).__name__} of {n}: first {shown} recorded element-wise{rest}>"
