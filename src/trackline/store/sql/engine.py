"""Engines for the SQL store: SQLite in WAL mode with real write locking, PostgreSQL via psycopg 3.

SQLite writers open their transaction with ``BEGIN IMMEDIATE`` so concurrent writers queue on
the busy timeout instead of failing with "database is locked" on a read-to-write upgrade.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from ...errors import ConfigError

__all__ = ["create_engine", "normalize_url"]

_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def normalize_url(url: str) -> str:
    """Map user-facing URLs to SQLAlchemy ones (``postgresql://`` means psycopg 3 here)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str, busy_timeout: float = 60.0) -> Engine:
    sa_url = make_url(normalize_url(url))
    if sa_url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(sa_url, busy_timeout)
    elif sa_url.get_backend_name() == "postgresql":
        try:
            engine = sa.create_engine(sa_url, pool_size=2, max_overflow=8)
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"{url!r} needs psycopg 3: pip install 'trackline[postgres]'"
            ) from exc
    else:
        raise ConfigError(f"unsupported SQL store URL {url!r}: use sqlite:/// or postgresql://")
    _ENGINES.add(engine)
    return engine


def _sqlite_engine(sa_url, busy_timeout: float) -> Engine:
    database = sa_url.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(sa_url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy's begin event decide how a transaction starts (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        immediate = conn.get_execution_options().get("trackline_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _dispose_after_fork() -> None:
    # A forked child (Airflow LocalExecutor, multiprocessing) must not reuse the parent's sockets.
    for engine in list(_ENGINES):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dispose_after_fork)
