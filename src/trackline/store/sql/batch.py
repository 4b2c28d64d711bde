"""A batch of task and pipeline runs in one transaction, each record refused on its own.

The journal of a remote client sends up to a few hundred records per request; one commit for
all of them is what makes a server on PostgreSQL take thousands of runs a second. The batch is
first written as a whole; only when some record is refused is it written again with a savepoint
per record, so the refused ones roll back alone and the rest still go in. Unavailability
(a lost connection, a locked database) raises: nothing of the batch is then committed, and
resending it is safe because every write is idempotent by record id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...model.limits import check_pipeline_run, check_task_run
from ...model.runs import PipelineRun, TaskRun
from ..quarantine import is_refusal

if TYPE_CHECKING:
    from .store import SqlStore

__all__ = ["write_in_one_transaction"]


class _Refused(Exception):
    """Rolls the optimistic attempt back when any record was refused."""


def write_in_one_transaction(
    store: SqlStore, records: Sequence[TaskRun | PipelineRun]
) -> list[Exception | None]:
    outcomes: list[Exception | None] = [_check(r) for r in records]
    valid = [(i, r) for i, r in enumerate(records) if outcomes[i] is None]
    try:
        with store._write() as conn, conn.begin():
            for _, record in valid:
                try:
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


def _one(store: SqlStore, conn, record: TaskRun | PipelineRun) -> None:
    if isinstance(record, TaskRun):
        store._task_run_in(conn, record)
    else:
        store._pipeline_run_in(conn, record)
