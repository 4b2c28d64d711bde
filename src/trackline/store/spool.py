"""A local durable spool: records the store could not take wait here and are replayed once.

Each record is one JSON file, written to a temporary name, fsynced, then renamed into place, so
a process killed mid-write leaves only a ``.tmp`` file that is never replayed (and is cleaned up
later). A replay claims a file by renaming it before writing it, so two processes replaying the
same spool never both deliver it; and since writes are idempotent by record id, even a replay
interrupted between delivery and unlink cannot duplicate anything.
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

__all__ = ["Spool", "ReplayResult"]

log = logging.getLogger("trackline.spool")

_KINDS = {"task_run": TaskRun, "pipeline_run": PipelineRun}
_STALE_CLAIM_S = 300.0
_STALE_TMP_S = 3600.0


@dataclass
class ReplayResult:
    delivered: int = 0
    remaining: int = 0
    bad: list[str] = field(default_factory=list)
    error: str | None = None


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def put(self, record: TaskRun | PipelineRun) -> Path:
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
                bad_dir = self.path / "bad"
                bad_dir.mkdir(exist_ok=True)
                os.replace(claimed, bad_dir / path.name)
                result.bad.append(f"{path.name}: {exc}")
                continue
            try:
                (store.write_task_run if isinstance(record, TaskRun) else store.write_pipeline_run)(
                    record
                )
            except Exception as exc:
                os.replace(claimed, path)
                result.error = f"{type(exc).__name__}: {exc}"
                break
            claimed.unlink()
            result.delivered += 1
        result.remaining = len(self.pending())
        return result

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


def _load(path: Path) -> TaskRun | PipelineRun:
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    cls = _KINDS[payload["kind"]]
    record = cls.model_validate(payload["record"])
    if isinstance(record, TaskRun):
        from ..model.runs import Artifact

        record.artifacts = [Artifact.model_validate(a) for a in payload.get("artifacts", [])]
    return record
