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

from ...model.runs import TaskRun, utcnow

__all__ = ["insert_new_task_run"]


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat pads the year to four digits (strftime's %Y does not for years < 1000).
    return value.isoformat(sep=" ", timespec="microseconds")


def _js(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


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
_INSERT_RUN = (
    f"INSERT OR IGNORE INTO task_runs ({', '.join(_RUN_COLS)}) "
    f"VALUES ({', '.join('?' * len(_RUN_COLS))})"
)
_INSERT_ENV = "INSERT OR IGNORE INTO environments (digest, data, created_at) VALUES (?, ?, ?)"
_INSERT_ART = (
    "INSERT OR IGNORE INTO artifacts (digest, kind, uri, name, size_bytes, media_type, rows, "
    "columns, profile, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_NAME_ART = "UPDATE artifacts SET name = ? WHERE digest = ? AND name IS NULL"
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (task_run_id, direction, artifact_digest, slot) "
    "VALUES (?, ?, ?, ?)"
)
_INSERT_PARAM = "INSERT OR IGNORE INTO params (task_run_id, key, value) VALUES (?, ?, ?)"
_INSERT_METRIC = (
    "INSERT OR IGNORE INTO metrics (id, task_run_id, key, value, step, timestamp) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def insert_new_task_run(dbapi_conn: Any, run: TaskRun, env_known: bool) -> bool:
    """Insert ``run`` in one ``BEGIN IMMEDIATE`` transaction; False (nothing written) if it
    exists."""
    cur = dbapi_conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        cur.execute(
            _INSERT_RUN,
            (
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
                _js(run.code.model_dump(mode="json")) if run.code else None,
                run.environment.digest if run.environment else None,
                _js(run.resources.model_dump(mode="json")) if run.resources else None,
                _js(run.external_ids or None),
                run.error.type if run.error else None,
                run.error.message if run.error else None,
                run.error.traceback if run.error else None,
            ),
        )
        if cur.rowcount == 0:
            cur.execute("ROLLBACK")
            return False
        if run.environment is not None and not env_known:
            cur.execute(
                _INSERT_ENV,
                (
                    run.environment.digest,
                    _js(run.environment.model_dump(mode="json")),
                    _ts(utcnow()),
                ),
            )
        if run.artifacts:
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
                    for a in run.artifacts
                ],
            )
            named = [(a.name, a.digest) for a in run.artifacts if a.name]
            if named:
                cur.executemany(_NAME_ART, named)
        events = [(run.id, "input", r.digest, r.name) for r in run.inputs]
        events += [(run.id, "output", r.digest, r.name) for r in run.outputs]
        if events:
            cur.executemany(_INSERT_EVENT, events)
        if run.params:
            cur.executemany(_INSERT_PARAM, [(run.id, k, _js(v)) for k, v in run.params.items()])
        if run.metrics:
            cur.executemany(
                _INSERT_METRIC,
                [
                    (
                        m.id,
                        run.id,
                        m.key,
                        None if m.value != m.value else m.value,
                        m.step,
                        _ts(m.timestamp),
                    )
                    for m in run.metrics
                ],
            )
        cur.execute("COMMIT")
        return True
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
