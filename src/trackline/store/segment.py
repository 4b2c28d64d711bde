"""The journal's file: one append-only segment per process, one JSON line per record.

An append is one ``write`` (``_gilheld.write_all``) to a file the process keeps open: once it
returns, the bytes are the kernel's, so a process killed at any later point (``kill -9``, OOM)
loses nothing; only an OS crash or power loss within the kernel's write-back interval could
(``TRACKLINE_JOURNAL_FSYNC=1`` fsyncs every append, at the cost of a disk flush per call).
That is the guarantee SQLite's WAL mode with ``synchronous=NORMAL`` gives a committed
transaction, so journaling loses nothing the synchronous path kept.

A segment is deleted once every record in it was delivered, quarantined or moved into the spool.
A segment whose process is gone (or that nobody touched for ``STALE_S``) is moved into the spool
by ``recover``: its records are then delivered like any spooled record, exactly once.
The environment and a function's code facts (with its source), the same objects on every run of
a process or function, are written once per segment and referred to.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path

from .._gilheld import write_all
from ..model.runs import Artifact, CodeRef, Environment, PipelineRun, TaskRun
from .quarantine import quarantine

__all__ = ["Segment", "others", "process_alive", "recover", "wait_until_gone"]

log = logging.getLogger("trackline")
STALE_S = 600.0  # a live process delivers its segment within seconds; ten minutes means stuck
_SHARED = {"environment", "code"}


def _encode(record: TaskRun | PipelineRun, envs: set[str], codes: dict[int, CodeRef]) -> bytes:
    """The record's line, after a line for each shared part this segment does not hold yet
    (added to ``envs`` / ``codes``)."""
    if isinstance(record, PipelineRun):
        return b'{"kind":"pipeline_run","record":' + record.model_dump_json().encode() + b"}\n"
    head = b""
    env = record.environment
    if env is not None and env.digest not in envs:
        envs.add(env.digest)
        head = b'{"kind":"environment","record":' + env.model_dump_json().encode() + b"}\n"
    code = record.code
    if code is not None and codes.get(id(code)) is not code:
        # numbered by the object's id: unique while ``codes`` holds the object
        codes[id(code)] = code
        head += b'{"kind":"code","id":%d,"record":%b}\n' % (
            id(code),
            code.model_dump_json().encode(),
        )
    arts = ",".join(a.model_dump_json() for a in record.artifacts)
    digest = f'"{env.digest}"' if env is not None else "null"  # hex: no escaping needed
    code_id = id(code) if code is not None else "null"
    return (
        head
        + (
            f'{{"kind":"task_run","env":{digest},"code":{code_id},'
            f'"record":{record.model_dump_json(exclude=_SHARED)},"artifacts":[{arts}]}}\n'
        ).encode()
    )


class Segment:
    """This process's open segment. Not thread-safe: the journal calls it under its lock."""

    def __init__(self, folder: Path, fsync: bool) -> None:
        self.folder = Path(folder)
        self.fsync = fsync
        self._token = uuid.uuid4().hex[:8]
        self._fd: int | None = None
        self._path: Path | None = None
        self._pid = 0
        self._n = 0
        self._envs: set[str] = set()
        self._codes: dict[int, CodeRef] = {}
        self._torn = False

    def append(self, record: TaskRun | PipelineRun) -> None:
        if self._fd is None or self._pid != os.getpid():
            self._open()
        envs, codes = set(self._envs), dict(self._codes)
        line = _encode(record, envs, codes)
        if self._torn:  # end the line a failed write left half-written (quarantined if read)
            line = b"\n" + line
        try:
            write_all(self._fd, line)
            if self.fsync:
                os.fsync(self._fd)
        except BaseException:
            self._torn = True
            raise
        self._torn = False
        self._envs, self._codes = envs, codes

    def rotate(self) -> Path | None:
        """Close the segment and return its path; the next append starts a new one."""
        path = self._path
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._path, self._torn = None, None, False
        self._envs, self._codes = set(), {}
        return path

    def _open(self) -> None:
        if self._pid != os.getpid():  # a forked child: the parent's segment stays the parent's
            self._pid, self._token, self._n = os.getpid(), uuid.uuid4().hex[:8], 0
            self._envs, self._codes = set(), {}
        self.folder.mkdir(parents=True, exist_ok=True)
        self._n += 1
        self._path = self.folder / f"{self._pid}-{self._token}-{self._n:06d}.jsonl"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def owns(self, name: str) -> bool:
        return name.startswith(f"{os.getpid()}-{self._token}-")


def _orphaned(entry: os.DirEntry, own: Segment | None, now: float) -> bool:
    name = entry.name
    if name.startswith(".claim-"):
        pid = name.split("-", 2)[1]
    elif name.endswith(".jsonl"):
        if own is not None and own.owns(name):
            return False  # delivered by this process's own sender
        pid = name.split("-", 1)[0]
    else:
        return False
    try:
        alive = process_alive(int(pid))
    except ValueError:
        return True
    try:
        return not alive or now - entry.stat().st_mtime > STALE_S
    except FileNotFoundError:
        return False


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine: the files name a local pid)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def others(folder: Path, own: Segment | None) -> tuple[list[Path], bool]:
    """Other processes' segments in ``folder``, in one scan: those of live processes, and
    whether any process that is gone (or stuck) left one."""
    live: list[Path] = []
    orphaned = False
    now = time.time()
    try:
        with os.scandir(folder) as it:
            for e in it:
                if _orphaned(e, own, now):
                    orphaned = True
                elif e.name.endswith(".jsonl") and not (own is not None and own.owns(e.name)):
                    live.append(Path(e.path))
    except FileNotFoundError:
        pass
    return live, orphaned


def wait_until_gone(segments: list[Path], timeout: float) -> bool:
    """Wait up to ``timeout`` s until ``segments`` (other live processes') are gone: a segment
    exists only until its records are delivered (later appends go to new segments), so then
    everything those processes had appended is in the store."""
    deadline = time.monotonic() + timeout
    while segments:
        segments = [p for p in segments if p.exists()]
        if not segments:
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
    return True


def recover(folder: Path, spool, own: Segment | None) -> int:
    """Move the records of orphaned segments into ``spool``; the number of records moved.
    Lines that cannot be read are quarantined with the reason, never dropped."""
    moved = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    now = time.time()
    for entry in entries:
        if not _orphaned(entry, own, now):
            continue
        original = entry.name.split("-", 2)[2] if entry.name.startswith(".claim-") else entry.name
        claim = Path(folder) / f".claim-{os.getpid()}-{original}"
        try:
            os.replace(entry.path, claim)
        except FileNotFoundError:
            continue  # another process took it
        moved += _move(claim, original, spool)
        claim.unlink(missing_ok=True)
    return moved


def _move(claim: Path, name: str, spool) -> int:
    envs: dict[str, Environment] = {}
    codes: dict[int, CodeRef] = {}
    moved = 0
    with open(claim, "rb") as fh:
        lines = fh.read().split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = _decode(line, envs, codes)
        except Exception as exc:  # noqa: BLE001 - a torn or foreign line: kept aside, not lost
            bad = spool.path / f".tmp-{name}-{i}.json"
            spool.path.mkdir(parents=True, exist_ok=True)
            bad.write_bytes(line)
            quarantine(spool.path, bad, f"{name}-line{i}.json", f"unreadable journal line: {exc}")
            log.error("trackline: unreadable line %d of journal %s quarantined: %s", i, name, exc)
            continue
        if record is not None:
            spool.put(record)
            moved += 1
    return moved


def _decode(
    line: bytes, envs: dict[str, Environment], codes: dict[int, CodeRef]
) -> TaskRun | PipelineRun | None:
    payload = json.loads(line)
    kind = payload["kind"]
    if kind == "environment":
        env = Environment.model_validate(payload["record"])
        envs[env.digest] = env
        return None
    if kind == "code":
        codes[payload["id"]] = CodeRef.model_validate(payload["record"])
        return None
    if kind == "pipeline_run":
        return PipelineRun.model_validate(payload["record"])
    run = TaskRun.model_validate(payload["record"])
    if payload.get("env") is not None:
        run.environment = envs[payload["env"]]
    if payload.get("code") is not None:  # lines written before code lines carry it inline
        run.code = codes[payload["code"]]
    run.artifacts = [Artifact.model_validate(a) for a in payload.get("artifacts", [])]
    return run
