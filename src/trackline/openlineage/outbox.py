"""A durable queue of runs whose events still have to be sent (the spool's guarantees).

An entry is one small JSON file (written to a temporary name, then renamed into place); a
sender claims it by renaming it, deletes it once the events went out, and puts it back when
sending failed, so nothing is lost and no two processes send the same entry at once.

A run announced live leaves a marker (``started/``, created exclusively, so a run described by
two recorders is announced once); its terminal entry then sends no second START.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path

__all__ = ["Outbox"]

_STALE_CLAIM_S = 300.0
_MARKER_MAX_AGE_S = 30 * 86400.0


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def put(self, kind: str, run_id: str, extra: dict | None = None) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{kind}-{run_id}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.path / f".tmp-{name}"
        entry = {"kind": kind, "id": run_id, **(extra or {})}
        tmp.write_text(json.dumps(entry), encoding="utf-8")
        final = self.path / name
        os.replace(tmp, final)
        return final

    def _marker(self, kind: str, run_id: str) -> Path:
        return self.path / "started" / hashlib.sha256(f"{kind}\0{run_id}".encode()).hexdigest()

    def mark_started(self, kind: str, run_id: str, started_at: str) -> bool:
        """True for the first announcement of this run (this process or any other); the marker
        keeps the start time the START was sent with."""
        marker = self._marker(kind, run_id)
        marker.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(started_at)
        return True

    def announced(self, kind: str, run_id: str) -> str | None:
        """The start time this run's START was sent with ("" if unknown), ``None`` if none was."""
        try:
            return self._marker(kind, run_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def clear_started(self, kind: str, run_id: str) -> None:
        self._marker(kind, run_id).unlink(missing_ok=True)

    def prune_markers(self, older_than_s: float = _MARKER_MAX_AGE_S) -> None:
        """Forget announcements of runs that never ended (their process was killed and nobody
        reaped them within a month): markers must not pile up."""
        now = time.time()
        try:
            entries = list(os.scandir(self.path / "started"))
        except FileNotFoundError:
            return
        for e in entries:
            try:
                if now - e.stat().st_mtime > older_than_s:
                    os.unlink(e.path)
            except FileNotFoundError:
                continue

    def pending(self) -> list[Path]:
        self._recover_stale()
        try:
            names = [
                e.name
                for e in os.scandir(self.path)
                if e.name.endswith(".json") and not e.name.startswith(".")
            ]
        except FileNotFoundError:
            return []
        return [self.path / n for n in sorted(names)]

    def claim(self, path: Path) -> tuple[Path, dict] | None:
        """Take an entry for sending; ``None`` if another sender has it (or it is gone)."""
        claimed = path.with_name(f".claim-{os.getpid()}-{path.name}")
        try:
            os.replace(path, claimed)
        except FileNotFoundError:
            return None
        try:
            return claimed, json.loads(claimed.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            bad = self.path / "bad"
            bad.mkdir(exist_ok=True)
            os.replace(claimed, bad / path.name)
            return None

    def done(self, claimed: Path) -> None:
        claimed.unlink(missing_ok=True)

    def release(self, claimed: Path) -> None:
        """Sending failed: the entry waits for the next sender."""
        original = claimed.name.split("-", 2)[2]
        os.replace(claimed, self.path / original)

    def _recover_stale(self) -> None:
        now = time.time()
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError:
            return
        for e in entries:
            if e.name.startswith(".claim-") and now - e.stat().st_mtime > _STALE_CLAIM_S:
                try:  # its sender died mid-send: send it again (events are idempotent)
                    os.replace(e.path, self.path / e.name.split("-", 2)[2])
                except FileNotFoundError:
                    continue
