"""Schema migrations: a new store is built by running every migration; an older one is upgraded.

A store is never dropped or recreated. ``head()`` reads the revision files once per process, so
checking an up-to-date store costs one ``SELECT`` of ``alembic_version``.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = ["head", "current", "upgrade", "ensure_schema"]

_HERE = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REV = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*['\"]?([\w]+)?['\"]?", re.M)


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision, read from the revision files without importing Alembic (start-up
    cost)."""
    revisions, parents = set(), set()
    for path in (_HERE / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REV.finditer(path.read_text()))
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision") not in (None, "None"):
                parents.add(found["down_revision"])
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise RuntimeError(f"trackline migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


# Any fixed 64-bit key: it names trackline's migration lock among the database's advisory locks.
_PG_LOCK_KEY = 0x7472_6163_6B6C_696E  # "trackline" truncated to 8 bytes


_IN_PROCESS = threading.Lock()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations in one transaction that excludes every other migrating process.

    Workers starting together on a fresh database (an Airflow scheduler and its task processes)
    would otherwise race to ``CREATE TABLE``. The lock is taken before Alembic reads the current
    revision, so the processes that waited find the schema at head and do nothing.
    """
    from alembic import command

    # Alembic keeps the running migration's context in module globals: two threads of one
    # process migrating two stores at once (a reader and the journal's sender) would mix them.
    with (
        _IN_PROCESS,
        engine.connect().execution_options(trackline_write=True) as conn,
        conn.begin(),
    ):
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        # On SQLite, ``trackline_write`` makes the transaction BEGIN IMMEDIATE: the same exclusion.
        command.upgrade(_config(conn), revision)


def ensure_schema(engine: Engine, auto_upgrade: bool = True) -> None:
    """Bring the store to the head revision (or explain how, when auto-upgrade is off)."""
    from ...errors import SchemaOutdated

    rev = current(engine)
    if rev == head():
        return
    if rev is not None and not auto_upgrade:
        raise SchemaOutdated(
            f"store schema is at revision {rev}, this trackline needs {head()}: "
            "run `trackline db upgrade`"
        )
    upgrade(engine)
