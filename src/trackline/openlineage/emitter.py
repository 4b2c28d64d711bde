"""Sending events: build from the store, emit through the openlineage-python client.

Live emission is off unless ``TRACKLINE_OPENLINEAGE=1``. A run's START is queued in the durable
outbox when its recorder announces it (``started``: a live task or pipeline run, with its
arguments), its terminal event when the finished run is written through the process store
(``observer``, called by the store layer); a background thread sends them in order, so a
consumer sees a long task start while it still runs. Emission never blocks a task and its
failures are logged, never raised; what could not be sent stays queued for the next process
(or a backfill with ``trackline export openlineage``). At exit the process waits up to
``TRACKLINE_OPENLINEAGE_FLUSH_S`` seconds for its queue. A run nobody announced (it ended in
another process, or emission was off when it started) gets START and end together.

Runs that carry another producer's OpenLineage run id (``external_ids["openlineage_run_id"]``,
set by the Airflow adapter when Airflow's OpenLineage provider emits them, and by ingestion)
are not emitted again: their facets travel on that producer's events.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .._exit import before_thread_pools_exit
from ..config import Settings
from ..errors import ConfigError
from ..model.runs import Artifact, PipelineRun, TaskRun
from ..store import RunStore, get_store
from .outbox import Outbox

__all__ = [
    "events_for",
    "start_events",
    "started",
    "emit_events",
    "make_client",
    "observer",
    "owned_elsewhere",
    "send_pending",
    "flush",
]

log = logging.getLogger("trackline.openlineage")

EXTERNAL_RUN_ID = "openlineage_run_id"


def owned_elsewhere(run: TaskRun | PipelineRun) -> bool:
    """True when another OpenLineage producer emits this run (one run, one producer)."""
    return bool(run.external_ids.get(EXTERNAL_RUN_ID))


def make_client(transport: Any = None) -> Any:
    """The openlineage-python client, configured the OpenLineage way unless given a transport."""
    try:
        from openlineage.client import OpenLineageClient
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "OpenLineage emission needs the openlineage-python client: "
            "pip install 'trackline[openlineage]'"
        ) from exc
    return OpenLineageClient(transport=transport) if transport else OpenLineageClient()


def events_for(
    store: RunStore,
    kind: str,
    run_id: str,
    namespace: str,
    *,
    start: bool = True,
    started_at: datetime | None = None,
) -> list[Any]:
    """The events of one stored run (empty for a run another producer emits); without its
    START when ``start=False`` (sent live already). ``started_at``: the start the live START
    was sent with, which the run id derives from (the store may still hold a later one, e.g.
    a decorator's, until the listener that announced the run writes its own)."""
    from .context import gather
    from .events import pipeline_run_events, task_run_events

    if kind == "pipeline_run":
        prun = store.get_pipeline_run(run_id)
        if owned_elsewhere(prun):
            return []
        if started_at is not None:
            prun = prun.model_copy(update={"started_at": started_at})
        return pipeline_run_events(prun, namespace=namespace, start=start)
    run = store.get_run(run_id)
    if owned_elsewhere(run):
        return []
    if started_at is not None:
        run = run.model_copy(update={"started_at": started_at})
    return task_run_events(run, gather(store, run), namespace=namespace, start=start)


def start_events(store: RunStore, entry: dict[str, Any], namespace: str) -> list[Any]:
    """The START of an announced run, from the record its outbox entry holds (the store may
    not have the running record yet; it is read only for what the run refers to)."""
    from .context import RunContext, gather
    from .events import pipeline_run_events, task_run_events

    if entry["kind"] == "pipeline_run":
        prun = PipelineRun.model_validate(entry["record"])
        return pipeline_run_events(prun, namespace=namespace)
    run = TaskRun.model_validate(entry["record"])
    try:
        ctx = gather(store, run)
    except Exception as exc:  # noqa: BLE001 - the store is down: START still goes out
        log.debug("trackline: context of %s unavailable: %s", run.id, exc)
        ctx = RunContext()
    ctx.artifacts.update((a.digest, a) for a in map(Artifact.model_validate, entry["artifacts"]))
    if ctx.parent is None and entry.get("parent"):
        ctx.parent = TaskRun.model_validate(entry["parent"])
    return task_run_events(run, ctx, namespace=namespace)


def emit_events(client: Any, events: Iterable[Any]) -> int:
    n = 0
    for event in events:
        client.emit(event)
        n += 1
    return n


# -- live emission: outbox + one background sender per process ------------------------------
def _deliver(box: Outbox, settings: Settings, client: Any, entry: dict[str, Any]) -> None:
    """Send one outbox entry's events (raises when they could not be sent)."""
    kind, run_id, ns = entry["kind"], entry["id"], settings.openlineage_namespace
    store = get_store(settings)
    if entry.get("phase") == "start":
        emit_events(client, start_events(store, entry, ns))
        return
    live = box.announced(kind, run_id)
    when = datetime.fromisoformat(live) if live else None
    emit_events(client, events_for(store, kind, run_id, ns, start=live is None, started_at=when))
    box.clear_started(kind, run_id)


class _Sender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.openlineage_outbox)
        self.queue: queue.Queue[Path | None] = queue.Queue()
        self.sent: set[tuple[str, str, str]] = set()
        self.client: Any = None
        # After a failed send this process stops trying (the rest stays queued on disk, in
        # order): a consumer that is down must cost one timeout, not one per run.
        self.broken = False
        self.idle = threading.Event()
        self.idle.set()
        self.outbox.prune_markers()
        for path in self.outbox.pending():  # left over by earlier processes
            self._enqueue(path)
        threading.Thread(target=self._run, name="trackline-openlineage", daemon=True).start()
        before_thread_pools_exit(lambda: self._exit(settings.openlineage_flush_s))

    def _enqueue(self, path: Path) -> None:
        self.idle.clear()
        self.queue.put(path)

    def put(self, kind: str, run_id: str) -> None:
        self._enqueue(self.outbox.put(kind, run_id))

    def put_start(self, kind: str, record: Any, parent: TaskRun | None) -> None:
        if not self.outbox.mark_started(kind, record.id, record.started_at.isoformat()):
            return  # announced already (an adapter and a decorator describe one run)
        extra = {
            "phase": "start",
            "record": record.model_dump(mode="json"),
            "artifacts": [a.model_dump(mode="json") for a in getattr(record, "artifacts", [])],
            "parent": parent.model_dump(mode="json") if parent is not None else None,
        }
        self._enqueue(self.outbox.put(kind, record.id, extra))

    def _run(self) -> None:
        while True:
            path = self.queue.get()
            try:
                if path is not None:
                    self._send(path)
            finally:
                self.queue.task_done()
                if self.queue.unfinished_tasks == 0:
                    self.idle.set()

    def _send(self, path: Path) -> None:
        if self.broken:
            return
        taken = self.outbox.claim(path)
        if taken is None:
            return
        claimed, entry = taken
        key = (entry.get("phase", "end"), entry.get("kind", ""), entry.get("id", ""))
        if key in self.sent:  # the same run finished twice here (decorator and listener)
            self.outbox.done(claimed)
            return
        try:
            if self.client is None:
                self.client = make_client()
            _deliver(self.outbox, self.settings, self.client, entry)
        except Exception as exc:  # noqa: BLE001 - emission never fails the pipeline
            self.outbox.release(claimed)
            self.broken = True
            log.warning(
                "trackline: OpenLineage events of %s %s not sent (this and later runs wait in"
                " %s): %s: %s",
                key[1],
                key[2],
                self.outbox.path,
                type(exc).__name__,
                exc,
            )
            return
        self.sent.add(key)
        self.outbox.done(claimed)

    def flush(self, timeout: float | None = None) -> bool:
        return self.idle.wait(timeout)

    def _exit(self, timeout: float) -> None:
        self.flush(timeout)
        if self.client is not None:
            try:  # transports that buffer (async http, kafka) deliver what they hold
                self.client.close(timeout)
            except Exception as exc:  # noqa: BLE001
                log.debug("trackline: closing the OpenLineage client failed: %s", exc)


_senders: dict[Settings, _Sender] = {}
_lock = threading.Lock()


def _sender(settings: Settings) -> _Sender:
    found = _senders.get(settings)
    if found is None:
        with _lock:
            found = _senders.get(settings)
            if found is None:
                found = _senders[settings] = _Sender(settings)
    return found


def _on(settings: Settings) -> bool:
    return settings.openlineage and not settings.disabled


def observer(kind: str, run_id: str, settings: Settings) -> None:
    """Entry point ``trackline.finished_runs``: queue the run's events when emission is on."""
    if _on(settings):
        _sender(settings).put(kind, run_id)


def started(kind: str, describe: Callable[[], tuple[Any, Any]], settings: Settings) -> None:
    """Entry point ``trackline.started_runs``: queue a live run's START when emission is on."""
    if not _on(settings):
        return
    record, parent = describe()
    if not owned_elsewhere(record):
        _sender(settings).put_start(kind, record, parent)


def flush(timeout: float | None = None) -> bool:
    """Wait until every queued event of this process was sent (or failed and stayed queued)."""
    return all(s.flush(timeout) for s in list(_senders.values()))


def send_pending(settings: Settings, client: Any = None) -> tuple[int, int]:
    """Send what the outbox holds now, in this thread, oldest first, stopping at the first
    failure (a START must not fall behind its run's end): ``(entries sent, still queued)``."""
    box = Outbox(settings.openlineage_outbox)
    client = client or make_client()
    sent = 0
    for path in box.pending():
        taken = box.claim(path)
        if taken is None:
            continue
        claimed, entry = taken
        try:
            _deliver(box, settings, client, entry)
        except Exception as exc:  # noqa: BLE001
            box.release(claimed)
            log.warning("trackline: OpenLineage send failed: %s: %s", type(exc).__name__, exc)
            break
        box.done(claimed)
        sent += 1
    return sent, len(box.pending())
