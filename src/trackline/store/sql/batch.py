"""A batch of task and pipeline runs in one transaction, each record refused on its own.

The journal of a remote client sends up to a few hundred records per request; one commit for
all of them, and on PostgreSQL one multi-row statement per table for the batch's new task runs
(each statement is a round trip there), is what lets a server take thousands of runs a second.
A run already stored (a merge, a late snapshot) takes the one-record path with its history
rules (``history.py``), as does a second record of the same run in the batch. The batch is
first written as a whole; only when some record is refused is it written again with a savepoint
per record, so the refused ones roll back alone and the rest still go in. Unavailability
(a lost connection, a locked database) raises: nothing of the batch is then committed, and
resending it is safe because every write is idempotent by record id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...model.limits import check_pipeline_run, check_task_run
from ...model.runs import PipelineRun, TaskRun
from ..quarantine import is_refusal
from . import fastpath
from .dialect import insert_ignore
from .keys import T_RUNS, adopt_events

if TYPE_CHECKING:
    from .store import SqlStore


def _task_row(run: TaskRun) -> dict:
    from .store import _task_row as row  # store.py imports this module

    return row(run)


__all__ = ["write_in_one_transaction"]


class _Refused(Exception):
    """Rolls the optimistic attempt back when any record was refused."""


def write_in_one_transaction(
    store: SqlStore, records: Sequence[TaskRun | PipelineRun]
) -> list[Exception | None]:
    outcomes: list[Exception | None] = [_check(r) for r in records]
    valid = [(i, r) for i, r in enumerate(records) if outcomes[i] is None]
    if store.engine.dialect.name == "sqlite":
        valid = _sqlite_new_at_once(store, valid)
    try:
        with store._write() as conn, conn.begin():
            try:
                for record in _new_at_once(store, conn, [r for _, r in valid]):
                    _one(store, conn, record)
            except Exception as exc:
                if is_refusal(exc):
                    raise _Refused from exc
                raise
    except _Refused:
        with store._write() as conn, conn.begin():
            for i, record in valid:
                try:
                    with conn.begin_nested():
                        _one(store, conn, record)
                except Exception as exc:
                    if not is_refusal(exc):
                        raise
                    outcomes[i] = exc
    for i, record in valid:
        if outcomes[i] is None and isinstance(record, TaskRun) and record.environment:
            store._envs_written.add(record.environment.digest)
    return outcomes


def _check(record: TaskRun | PipelineRun) -> Exception | None:
    try:
        if isinstance(record, TaskRun):
            check_task_run(record)
        else:
            check_pipeline_run(record)
    except Exception as exc:
        if is_refusal(exc):
            return exc
        raise
    return None


def _sqlite_new_at_once(store: SqlStore, valid: list[tuple[int, TaskRun | PipelineRun]]) -> list:
    """Insert the batch's new task runs on SQLite with prepared statements in one transaction
    (``fastpath.py``); return the records left for the general path. Any error there rolls the
    fast transaction back and leaves every record to the general path, which refuses records
    one by one."""
    fast = {r.id for r in _once([r for _, r in valid]) if not any(a.files for a in r.artifacts)}
    if not fast:
        return valid
    raw = store.engine.raw_connection()
    try:
        runs = [r for _, r in valid if r.id in fast]
        stored = fastpath.insert_new_task_runs(raw.driver_connection, runs, store._envs_written)
    except Exception as exc:
        if not is_refusal(exc):
            raise
        return valid
    finally:
        raw.close()
    written = fast - {r.id for r in stored}
    return [(i, r) for i, r in valid if r.id not in written or not isinstance(r, TaskRun)]


def _new_at_once(store: SqlStore, conn, records: list) -> list[TaskRun | PipelineRun]:
    """Insert the batch's new task runs with one statement per table (PostgreSQL); return the
    records left for the one-record path, in order."""
    once = _once(records)
    if conn.dialect.name != "postgresql" or len(once) < 2:
        return records  # SQLite: new runs went in through the fast path already
    store._environments_in(conn, once)
    rows = [_task_row(r) for r in once]
    stmt = insert_ignore(conn, T_RUNS, ["id"]).returning(T_RUNS.c.id)
    new = set(conn.execute(stmt, rows).scalars())
    fresh = [r for r in once if r.id in new]
    if fresh:
        adopt_events(conn, [r.id for r in fresh])
        store._write_children(conn, fresh, new=True)
    return [r for r in records if not (isinstance(r, TaskRun) and r.id in new)]


def _once(records: Sequence[TaskRun | PipelineRun]) -> list[TaskRun]:
    """The task runs with one record in the batch: the rest (a snapshot and its final record)
    go through the one-record path in order."""
    ids = Counter(r.id for r in records if isinstance(r, TaskRun))
    return [r for r in records if isinstance(r, TaskRun) and ids[r.id] == 1]


def _one(store: SqlStore, conn, record: TaskRun | PipelineRun) -> None:
    if isinstance(record, TaskRun):
        store._task_run_in(conn, record)
    else:
        store._pipeline_run_in(conn, record)
