"""A local durable spool: records the store could not take wait here and are replayed once.

Each record is one JSON file, written to a temporary name, fsynced, then renamed into place, so
a process killed mid-write leaves only a ``.tmp`` file that is never replayed (and is cleaned up
later). A replay claims a file by renaming it before writing it, so two processes replaying the
same spool never both deliver it; and since writes are idempotent by record id, even a replay
interrupted between delivery and unlink cannot duplicate anything.

A record the store refuses as invalid never blocks the ones behind it: it is quarantined with
its reason (``quarantine.py``) and a reduced, valid form of it is delivered instead. Only an
unavailable store stops a replay.

Records reach the spool from the journal (``journal.py``, ``segment.py``): what its sender could
not deliver, and what a process that is gone left in its segment. A file name carries the
writing process's pid, so a claim left by a killed process is recovered at once, not after a
timeout.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..model.plain import plain_mapping
from ..model.runs import PipelineRun, TaskRun
from .protocols import BatchRunStore, RunStore
from .quarantine import describe, is_refusal, quarantine, reduced_record
from .segment import process_alive

__all__ = ["Spool", "ReplayResult", "deliver_batch"]

log = logging.getLogger("trackline.spool")

_KINDS = {"task_run": TaskRun, "pipeline_run": PipelineRun}
_STALE_CLAIM_S = 300.0
_STALE_TMP_S = 3600.0
BATCH = 100  # records per request to a batch store: ~100 KB bodies, well under size limits


@dataclass
class ReplayResult:
    delivered: int = 0
    remaining: int = 0
    bad: list[str] = field(default_factory=list)  # unreadable files (quarantined too)
    quarantined: list[str] = field(default_factory=list)  # "<file>: <reason>"
    error: str | None = None
    exc: BaseException | None = field(default=None, repr=False)  # what stopped the replay

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
        try:
            text = _dump(kind, record)
        except Exception as exc:  # noqa: BLE001 - a value JSON cannot hold: kept in plain form
            log.warning(
                "trackline: record %s holds values JSON cannot hold (%s); spooled with them "
                "made plain JSON",
                record.id,
                describe(exc),
            )
            text = _dump(kind, _plain(record))
        tag = f"p{os.getpid()}r{uuid.uuid4().hex[:8]}"  # no '-': quarantine parses names by it
        name = f"{time.time_ns():020d}-{kind}-{record.id}-{tag}.json"
        tmp = self.path / f".tmp-{name}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        final = self.path / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """Spooled files in order."""
        try:
            entries = [
                e
                for e in os.scandir(self.path)
                if e.name.endswith(".json") and not e.name.startswith(".") and e.is_file()
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
        """Deliver spooled records to ``store`` in the order they were spooled, in batches when
        the store takes them."""
        self._recover_stale()
        result = ReplayResult()
        paths = self.pending()
        size = BATCH if isinstance(store, BatchRunStore) else 1
        for start in range(0, len(paths), size):
            claimed = self._claim(paths[start : start + size], result)
            if claimed and not self._send(store, claimed, result):
                break
        result.remaining = len(self.pending())
        return result

    def _claim(self, paths: list[Path], result: ReplayResult) -> list[tuple[Path, Path, object]]:
        claimed = []
        for path in paths:
            claim = path.with_name(f".claim-{os.getpid()}-{path.name}")
            try:
                os.replace(path, claim)
            except FileNotFoundError:
                continue  # another process claimed it
            try:
                claimed.append((path, claim, _load(claim)))
            except Exception as exc:  # corrupt or foreign file: keep it aside, never lose it
                quarantine(self.path, claim, path.name, f"unreadable spool file: {exc}")
                result.bad.append(f"{path.name}: {exc}")
        return claimed

    def _send(self, store, claimed: list, result: ReplayResult) -> bool:
        """Deliver claimed records; False (all of them unclaimed) when the store is
        unavailable."""
        try:
            outcomes = deliver_batch(store, [r for _, _, r in claimed])
        except Exception as exc:
            for path, claim, _ in claimed:
                os.replace(claim, path)
            result.error, result.exc = describe(exc), exc
            return False
        for (path, claim, record), refused in zip(claimed, outcomes, strict=True):
            if refused is None:
                claim.unlink()
                result.delivered += 1
                continue
            reason = describe(refused)
            quarantine(self.path, claim, path.name, reason)
            result.quarantined.append(f"{path.name}: {reason}")
            log.error("trackline: store refused spooled %s; quarantined: %s", path.name, reason)
            self.record_refusal(store, record, refused)
        return True

    def record_refusal(self, store, record: TaskRun | PipelineRun, exc: Exception) -> None:
        """Deliver the reduced form of a refused record (spooled if the store went away)."""
        from ..errors import Conflict

        if isinstance(exc, Conflict):
            return  # the run is recorded already; the refused record contradicted it
        reduced = reduced_record(record, describe(exc))
        try:
            _deliver(store, reduced)
        except Exception as again:  # noqa: BLE001
            if is_refusal(again):
                log.error(
                    "trackline: even the reduced record of %s was refused: %s",
                    record.id,
                    describe(again),
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
            try:
                age = now - e.stat().st_mtime
            except FileNotFoundError:
                continue  # renamed meanwhile by a writer or another replay
            if e.name.startswith(".claim-") and (age > _STALE_CLAIM_S or _dead(e.name)):
                original = e.name.split("-", 2)[2]
                try:
                    os.replace(e.path, self.path / original)
                except FileNotFoundError:
                    continue  # its owner finished with it meanwhile
            elif e.name.startswith(".tmp-") and age > _STALE_TMP_S:
                Path(e.path).unlink(missing_ok=True)  # a write that was killed before it completed


def _dead(claim_name: str) -> bool:
    """True when the process that claimed this file no longer exists (killed mid-send)."""
    try:
        pid = int(claim_name.split("-", 2)[1])
    except ValueError:
        return False
    return not process_alive(pid)


def deliver_batch(store, records: list[TaskRun | PipelineRun]) -> list[BaseException | None]:
    """Write ``records``: one outcome per record, ``None`` when written, else the refusal.
    A batch store takes them in one call; a batch it refuses as a whole (too large, an older
    server) goes record by record. Raises when the store is unavailable (resending is safe:
    writes are idempotent)."""
    if isinstance(store, BatchRunStore) and len(records) > 1:
        try:
            return store.write_records(records)
        except Exception as exc:
            if not is_refusal(exc):
                raise
    return [_outcome(store, r) for r in records]


def _outcome(store, record: TaskRun | PipelineRun) -> BaseException | None:
    """None when delivered, the refusal when the store refused the record; unavailability
    raises."""
    try:
        _deliver(store, record)
    except Exception as exc:
        if is_refusal(exc):
            return exc
        raise
    return None


def _deliver(store, record: TaskRun | PipelineRun) -> None:
    if isinstance(record, TaskRun):
        store.write_task_run(record)
    else:
        store.write_pipeline_run(record)


def _dump(kind: str, record: TaskRun | PipelineRun) -> str:
    payload = {"kind": kind, "record": record.model_dump(mode="json")}
    if isinstance(record, TaskRun):  # artifacts are excluded from dumps by default
        payload["artifacts"] = [a.model_dump(mode="json") for a in record.artifacts]
    return json.dumps(payload)


def _plain(record: TaskRun | PipelineRun) -> TaskRun | PipelineRun:
    """``record`` with its free-form JSON fields made plain (``model/plain.py``): what a record
    built by hand, not by the recorder, may hold."""
    update: dict = {"external_ids": plain_mapping(record.external_ids)}
    if isinstance(record, TaskRun):
        update["params"] = plain_mapping(record.params)
        plain = record.model_copy(update=update)
        plain.artifacts = record.artifacts
        return plain
    update["config"] = plain_mapping(record.config)
    return record.model_copy(update=update)


def _load(path: Path) -> TaskRun | PipelineRun:
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    cls = _KINDS[payload["kind"]]
    record = cls.model_validate(payload["record"])
    if isinstance(record, TaskRun):
        from ..model.runs import Artifact

        record.artifacts = [Artifact.model_validate(a) for a in payload.get("artifacts", [])]
    return record
