"""The SQLite hot path: a new task run written with plain ``sqlite3`` statements.

A finished task run is the one write every tracked call makes, and SQLAlchemy's per-statement
work (cache keys, parameter processing, result setup) costs ten times the SQLite commit itself.
So a *new* run on SQLite is inserted here with prepared SQL on the pooled DBAPI connection, in
the storage formats SQLAlchemy reads back (naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text, JSON
text). Anything else — a run id that already exists (merge), PostgreSQL — takes the SQLAlchemy
path in ``store.py``. The store suite reads every field written here back through SQLAlchemy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ...model.runs import Artifact, Metric, TaskRun, point_time, utcnow
from .locations import location_rows
from .searchindex import latest_tuples, typed_param
from .series import INSERT_SERIES, series_tuple

__all__ = ["insert_new_task_runs", "insert_metrics", "artifact_rows"]


def _ts(value: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC (``isoformat``: a third of ``strftime``)."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # what trackline records: drop the "+00:00" suffix
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is not None:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


# The last whole second formatted, and its text: one tuple, swapped whole, so a writer in
# another thread never pairs one second with another's text.
_second: tuple[int | None, str] = (None, "")


def _micros_ts(micros: int) -> str:
    """``_ts`` of a series point's time (microseconds since 1970 UTC), the date and time of
    day formatted once per second: the points of one run mostly share their seconds."""
    global _second
    sec, us = divmod(micros, 1_000_000)
    cached, text = _second
    if cached != sec:
        text = _ts(point_time(sec * 1_000_000))[:19]
        _second = (sec, text)
    return f"{text}.{us:06d}"


_str_json = json.encoder.encode_basestring_ascii  # what json.dumps uses for a str


def _js(value: Any) -> str | None:
    """JSON text as ``json.dumps`` writes it; scalars (most params) without the encoder's
    per-call setup, which cost more than the insert of the value."""
    if value is None:
        return None
    cls = type(value)
    if cls is str:
        return _str_json(value)
    if cls is int:
        return int.__repr__(value)
    if cls is bool:
        return "true" if value else "false"
    if cls is float and value - value == 0:  # finite: json.dumps writes repr
        return float.__repr__(value)
    return json.dumps(value)


# A function's code reference is one object for all its calls (capture/code.py caches it):
# serialize it once. Entries hold the object, so an id is never reused while cached.
_code_json: dict[int, tuple[Any, str]] = {}


def _code(code: Any) -> str | None:
    if code is None:
        return None
    hit = _code_json.get(id(code))
    if hit is None or hit[0] is not code:
        if len(_code_json) > 4096:
            _code_json.clear()
        hit = _code_json[id(code)] = (code, code.model_dump_json())
    return hit[1]


_RUN_COLS = (
    "id",
    "name",
    "pipeline",
    "pipeline_run_id",
    "parent_id",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "heartbeat_at",
    "host",
    "pid",
    "code_digest",
    "code",
    "environment_digest",
    "resources",
    "external_ids",
    "error_type",
    "error_message",
    "error_traceback",
)
# ``seq``: the integer key lineage walks on; max + 1 is safe under BEGIN IMMEDIATE (one writer).
_NEXT_RUN_SEQ = "SELECT IFNULL(MAX(seq), 0) + 1 FROM task_runs"
_INSERT_RUN = (
    f"INSERT OR IGNORE INTO task_runs (seq, {', '.join(_RUN_COLS)}) "
    f"VALUES (?, {', '.join('?' * len(_RUN_COLS))})"
)
_INSERT_ENV = "INSERT OR IGNORE INTO environments (digest, data, created_at) VALUES (?, ?, ?)"
_INSERT_ART = (
    "INSERT OR IGNORE INTO artifacts (seq, digest, kind, uri, name, size_bytes, media_type, rows, "
    "columns, profile, created_at) VALUES ((SELECT IFNULL(MAX(seq), 0) + 1 FROM artifacts), "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_NAME_ART = "UPDATE artifacts SET name = ? WHERE digest = ? AND name IS NULL"
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (task_run_id, direction, artifact_digest, slot, run_seq, "
    "art_seq) VALUES (?, ?, ?, ?, ?, (SELECT seq FROM artifacts WHERE digest = ?))"
)
_ADOPT_EVENTS = "UPDATE events SET run_seq = ? WHERE task_run_id = ? AND run_seq IS NULL"
_INSERT_PARAM = (
    "INSERT OR IGNORE INTO params (task_run_id, key, value, num_value, str_value, bool_value) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# A new run has no earlier metric history: its latest rows come straight from this batch.
_INSERT_LATEST = (
    "INSERT OR REPLACE INTO metric_latest (task_run_id, key, value, step, timestamp, min_value, "
    "max_value) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_LOC = (
    "INSERT OR IGNORE INTO artifact_locations (task_run_id, direction, artifact_digest, uri, slot,"
    " seen_at) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_METRIC = (
    "INSERT OR IGNORE INTO metrics (id, task_run_id, key, value, step, timestamp) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def artifact_rows(run: TaskRun) -> list[Artifact]:
    """The run's artifacts, plus a minimal record for any input or output known only by its
    reference (a record sent over HTTP may carry refs alone): every event's artifact then has a
    row and a ``seq``, so lineage sees the edge."""
    arts = list(run.artifacts)
    known = {a.digest for a in arts}
    for ref in (*run.inputs, *run.outputs):
        if ref.digest not in known:
            known.add(ref.digest)
            arts.append(Artifact(digest=ref.digest, kind=ref.kind, uri=ref.uri))
    return arts


def insert_new_task_runs(dbapi_conn: Any, runs: list[TaskRun], envs: set[str]) -> list[TaskRun]:
    """Insert ``runs`` in one ``BEGIN IMMEDIATE`` transaction; return those that exist already
    (nothing of them written: they take the merge path). ``envs``: environment digests known to
    be stored; the ones written here are added after the commit."""
    cur = dbapi_conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        seq = cur.execute(_NEXT_RUN_SEQ).fetchone()[0]
        stored: list[TaskRun] = []
        known = set(envs)
        for run in runs:
            if _insert(cur, run, seq, known):
                seq += 1
                if run.environment is not None:
                    known.add(run.environment.digest)
            else:
                stored.append(run)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
    envs |= known
    return stored


def _insert(cur: Any, run: TaskRun, seq: int, envs: set[str]) -> bool:
    """One new run inside the caller's transaction; False (nothing written) if it exists."""
    cur.execute(
        _INSERT_RUN,
        (
            seq,
            run.id,
            run.name,
            run.pipeline,
            run.pipeline_run_id,
            run.parent_id,
            run.status,
            _ts(run.started_at),
            _ts(run.ended_at),
            run.duration_s,
            _ts(run.heartbeat_at),
            run.host,
            run.pid,
            run.code_digest,
            _code(run.code),
            run.environment.digest if run.environment else None,
            run.resources.model_dump_json() if run.resources else None,
            _js(run.external_ids or None),
            run.error.type if run.error else None,
            run.error.message if run.error else None,
            run.error.traceback if run.error else None,
        ),
    )
    if cur.rowcount == 0:
        return False
    # Events may name this run before its record exists (a model registered inside the
    # task): they take its key now. One probe of the events primary key; usually no rows.
    cur.execute(_ADOPT_EVENTS, (seq, run.id))
    if run.environment is not None and run.environment.digest not in envs:
        cur.execute(
            _INSERT_ENV,
            (
                run.environment.digest,
                run.environment.model_dump_json(),
                _ts(utcnow()),
            ),
        )
    arts = artifact_rows(run)
    if arts:
        cur.executemany(
            _INSERT_ART,
            [
                (
                    a.digest,
                    a.kind,
                    a.uri,
                    a.name,
                    a.size_bytes,
                    a.media_type,
                    a.rows,
                    _js([c.model_dump() for c in a.columns]) if a.columns else None,
                    _js(a.profile),
                    _ts(a.created_at),
                )
                for a in arts
            ],
        )
        named = [(a.name, a.digest) for a in arts if a.name]
        if named:
            cur.executemany(_NAME_ART, named)
    events = [(run.id, "input", r.digest, r.name, seq, r.digest) for r in run.inputs]
    events += [(run.id, "output", r.digest, r.name, seq, r.digest) for r in run.outputs]
    if events:
        cur.executemany(_INSERT_EVENT, events)
    locations = location_rows(run)
    if locations:
        cur.executemany(
            _INSERT_LOC,
            [
                (
                    r["task_run_id"],
                    r["direction"],
                    r["artifact_digest"],
                    r["uri"],
                    r["slot"],
                    _ts(r["seen_at"]),
                )
                for r in locations
            ],
        )
    if run.params:
        cur.executemany(
            _INSERT_PARAM,
            [(run.id, k, _js(v), *typed_param(v)) for k, v in run.params.items()],
        )
    if run.metrics or run.metric_series:
        stamped = insert_metrics(cur, run.id, run.metrics) if run.metrics else []
        if run.metric_series:
            cur.executemany(INSERT_SERIES, [series_tuple(run.id, s) for s in run.metric_series])
        cur.executemany(
            _INSERT_LATEST,
            [
                (run.id, *latest)
                for latest in latest_tuples(
                    ((m.key, m.value, m.step, ts, m.id) for m, ts in zip(run.metrics, stamped)),
                    run.metric_series,
                    _micros_ts,
                )
            ],
        )
    return True


def insert_metrics(cur: Any, run_id: str, metrics: list[Metric]) -> list[str | None]:
    """Insert ``metrics`` of run ``run_id`` (those it holds already are left as they are) with
    the caller's cursor, inside its transaction; their timestamps as stored. Fixed-width UTC
    text sorts like the times themselves, so "last" can be decided on it."""
    stamped = [_ts(m.timestamp) for m in metrics]
    cur.executemany(
        _INSERT_METRIC,
        [
            (m.id, run_id, m.key, None if m.value != m.value else m.value, m.step, ts)
            for m, ts in zip(metrics, stamped)
        ],
    )
    return stamped
