"""Integer lineage keys on the write side: every new run and artifact gets a ``seq``, every
event both ends' ``seq`` (migration 0013; the lineage walk in ``lineage.py`` reads them).

PostgreSQL's column default draws ``seq`` from a sequence. SQLite has no sequences: a new row
takes max + 1, which is safe because every SQLite writer holds ``BEGIN IMMEDIATE`` (one writer
at a time), and a unique index would refuse a duplicate anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .dialect import insert_ignore
from .tables import ArtifactRow, EventRow, TaskRunRow

__all__ = ["with_seq", "insert_artifacts", "insert_events", "adopt_events"]

T_RUNS = TaskRunRow.__table__
T_ARTIFACTS = ArtifactRow.__table__
T_EVENTS = EventRow.__table__


def with_seq(conn: sa.Connection, stmt: Any, table: sa.Table) -> Any:
    """``stmt`` (an INSERT into ``table``) giving a new row the next ``seq``."""
    if conn.dialect.name != "sqlite":
        return stmt
    return stmt.values(
        seq=sa.select(sa.func.coalesce(sa.func.max(table.c.seq), 0) + 1).scalar_subquery()
    )


def insert_artifacts(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert artifact rows unless their digest exists (the first record of an artifact stays)."""
    if rows:
        stmt = with_seq(conn, insert_ignore(conn, T_ARTIFACTS, ["digest"]), T_ARTIFACTS)
        conn.execute(stmt, list(rows))


def insert_events(conn: sa.Connection, rows: Sequence[dict[str, str]]) -> None:
    """Insert events (task_run_id, direction, artifact_digest, slot) with both ends' ``seq``,
    read from the run and artifact rows (which the same transaction wrote first)."""
    if not rows:
        return
    stmt = insert_ignore(
        conn, T_EVENTS, ["task_run_id", "direction", "artifact_digest", "slot"]
    ).values(
        run_seq=sa.select(T_RUNS.c.seq)
        .where(T_RUNS.c.id == sa.bindparam("run_ref"))
        .scalar_subquery(),
        art_seq=sa.select(T_ARTIFACTS.c.seq)
        .where(T_ARTIFACTS.c.digest == sa.bindparam("art_ref"))
        .scalar_subquery(),
    )
    conn.execute(
        stmt, [{**r, "run_ref": r["task_run_id"], "art_ref": r["artifact_digest"]} for r in rows]
    )


def adopt_events(conn: sa.Connection, run_ids: Sequence[str]) -> None:
    """Give newly stored runs' keys to events written before their records (a model registered
    inside the task links the run before the run's record is written at the task's end)."""
    conn.execute(
        sa.update(T_EVENTS)
        .where(T_EVENTS.c.task_run_id.in_(list(run_ids)), T_EVENTS.c.run_seq.is_(None))
        .values(
            run_seq=sa.select(T_RUNS.c.seq)
            .where(T_RUNS.c.id == T_EVENTS.c.task_run_id)
            .scalar_subquery()
        )
    )
