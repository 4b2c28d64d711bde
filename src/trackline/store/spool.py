"""A local durable spool: records the store could not take wait here and are replayed once.

Each record is one JSON file, written to a temporary name, fsynced, then renamed into place, so
a process killed mid-write leaves only a ``.tmp`` file that is never replayed (and is cleaned up
later). A replay claims a file by renaming it before writing it, so two processes replaying the
same spool never both deliver it; and since writes are idempotent by record id, even a replay
interrupted between delivery and unlink cannot duplicate anything.

A record the store refuses as invalid never blocks the ones behind it: it is quarantined with
its reason (``quarantine.py``) and a reduced, valid form of it is delivered instead. Only an
unavailable store stops a replay.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..model.runs import PipelineRun, TaskRun
from .protocols import RunStore
from .quarantine import is_refusal, quarantine, reduced_record

__all__ = ["Spool", "ReplayResult"]

log = logging.getLogger("trackline.spool")

_KINDS = {"task_run": TaskRun, "pipeline_run": PipelineRun}
_STALE_CLAIM_S = 300.0
_STALE_TMP_S = 3600.0


@dataclass
class ReplayResult:
    delivered: int = 0
    remaining: int = 0
    bad: list[str] = field(default_factory=list)  # unreadable files (quarantined too)
    quarantined: list[str] = field(default_factory=list)  # "<file>: <reason>"
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.bad and not self.quarantined


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def put(self, record: TaskRun | PipelineRun, *, durable: bool = True) -> Path:
        """Spool ``record``. ``durable=False`` skips the fsync (the rename stays atomic, so a
        killed process loses nothing; only an OS crash within the kernel's flush interval could):
        the fail-fast path while the store is known to be down, where an fsync per tracked call
        would cost milliseconds."""
        kind = "task_run" if isinstance(record, TaskRun) else "pipeline_run"
        self.path.mkdir(parents=True, exist_ok=True)
        payload = {"kind": kind, "record": record.model_dump(mode="json")}
        if isinstance(record, TaskRun):  # artifacts are excluded from dumps by default
            payload["artifacts"] = [a.model_dump(mode="json") for a in record.artifacts]
        name = f"{time.time_ns():020d}-{kind}-{record.id}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.path / f".tmp-{name}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        final = self.path / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        try:
            entries = [
                e
                for e in os.scandir(self.path)
                if e.is_file() and e.name.endswith(".json") and not e.name.startswith(".")
            ]
        except FileNotFoundError:
            return []
        return sorted(Path(e.path) for e in entries)

    def has_pending(self) -> bool:
        try:
            with os.scandir(self.path) as it:
                return any(e.name.endswith(".json") and not e.name.startswith(".") for e in it)
        except FileNotFoundError:
            return False

    def replay(self, store: RunStore) -> ReplayResult:
        """Deliver every spooled record to ``store`` in the order they were spooled."""
        self._recover_stale()
        result = ReplayResult()
        for path in self.pending():
            claimed = path.with_name(f".claim-{os.getpid()}-{path.name}")
            try:
                os.replace(path, claimed)
            except FileNotFoundError:
                continue  # another process claimed it
            try:
                record = _load(claimed)
            except Exception as exc:  # corrupt or foreign file: keep it aside, never lose it
                quarantine(self.path, claimed, path.name, f"unreadable spool file: {exc}")
                result.bad.append(f"{path.name}: {exc}")
                continue
            try:
                _deliver(store, record)
            except Exception as exc:
                if not is_refusal(exc):
                    os.replace(claimed, path)
                    result.error = f"{type(exc).__name__}: {exc}"
                    break
                reason = f"{type(exc).__name__}: {exc}"
                quarantine(self.path, claimed, path.name, reason)
                result.quarantined.append(f"{path.name}: {reason}")
                log.error("trackline: store refused spooled %s; quarantined: %s", path.name, reason)
                self.record_refusal(store, record, exc)
                continue
            claimed.unlink()
            result.delivered += 1
        result.remaining = len(self.pending())
        return result

    def record_refusal(self, store, record: TaskRun | PipelineRun, exc: Exception) -> None:
        """Deliver the reduced form of a refused record (spooled if the store went away)."""
        from ..errors import Conflict

        if isinstance(exc, Conflict):
            return  # the run is recorded already; the refused record contradicted it
        reduced = reduced_record(record, f"{type(exc).__name__}: {str(exc)[:1000]}")
        try:
            _deliver(store, reduced)
        except Exception as again:  # noqa: BLE001
            if is_refusal(again):
                log.error(
                    "trackline: even the reduced record of %s was refused: %s", record.id, again
                )
            else:
                self.put(reduced)

    def _recover_stale(self) -> None:
        now = time.time()
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError:
            return
        for e in entries:
            age = now - e.stat().st_mtime
            if e.name.startswith(".claim-") and age > _STALE_CLAIM_S:
                original = e.name.split("-", 2)[2]
                os.replace(e.path, self.path / original)
            elif e.name.startswith(".tmp-") and age > _STALE_TMP_S:
                os.unlink(e.path)  # a write that was killed before it completed


def _deliver(store, record: TaskRun | PipelineRun) -> None:
    if isinstance(record, TaskRun):
        store.write_task_run(record)
    else:
        store.write_pipeline_run(record)


def _load(path: Path) -> TaskRun | PipelineRun:
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    cls = _KINDS[payload["kind"]]
    record = cls.model_validate(payload["record"])
    if isinstance(record, TaskRun):
        from ..model.runs import Artifact

        record.artifacts = [Artifact.model_validate(a) for a in payload.get("artifacts", [])]
    return record
