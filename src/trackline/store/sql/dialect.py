"""Small SQL helpers shared by the SQL store modules: portable upserts, ids, timestamps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_ignore", "utc", "chunks", "like_prefix", "valid_ref"]

_REF = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


def insert_ignore(conn: sa.Connection, table: sa.Table, index_elements: Sequence[str]):
    """``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; everything trackline returns is timezone-aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def chunks(items: Iterable[Any], size: int = 900) -> Iterator[list[Any]]:
    """``items`` in slices for IN lists: a record may carry more values than one statement may
    bind (999 in SQLite builds before 3.32, 32,766 after, 65,535 in psycopg)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def valid_ref(ref: str) -> bool:
    """Ids, digests and prefixes are short tokens; anything else cannot match (and is not SQL)."""
    return bool(_REF.match(ref))


def like_prefix(ref: str) -> str:
    return ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
