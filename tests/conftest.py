"""Fixtures shared by every test environment (core, airflow, prefect).

``store_url`` runs a test against SQLite and against PostgreSQL (a fresh database per test
session on 127.0.0.1:5432; set TRACKLINE_TEST_PG=0 to skip PostgreSQL locally).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PG_DSN = os.environ.get("TRACKLINE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this session; dropped afterwards. Yields a URL factory."""
    if os.environ.get("TRACKLINE_TEST_PG") == "0":
        pytest.skip("PostgreSQL disabled by TRACKLINE_TEST_PG=0")
    created: list[str] = []

    def make() -> str:
        name = f"tl_test_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = PG_DSN.rsplit("/", 1)[0]
        return f"{base}/{name}"

    yield make
    with _pg_admin() as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> str:
    """A fresh, empty store URL of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_database")()


@pytest.fixture(autouse=True)
def trackline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own trackline home (default store, spool, hash cache)."""
    from trackline import config

    home = tmp_path / "tlhome"
    monkeypatch.setenv("TRACKLINE_HOME", str(home))
    for var in (
        "TRACKLINE_STORE",
        "TRACKLINE_STRICT",
        "TRACKLINE_DISABLED",
        "TRACKLINE_SPOOL_DIR",
        "TRACKLINE_ARTIFACTS",
        "TRACKLINE_KEEP",
    ):
        monkeypatch.delenv(var, raising=False)
    config.clear_override()
    from trackline import store

    known = set(store._stores)
    yield home
    config.clear_override()
    # Each test's settings make a new process store; closed here, or every PostgreSQL test
    # would leave its pool's idle connections open until the session ends (past 100, the
    # server refuses new clients).
    for key in set(store._stores) - known:
        try:
            store._stores.pop(key).close()
        except Exception:  # noqa: BLE001 - a store that cannot close holds nothing to free
            pass


@pytest.fixture
def use_store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point tracked code (and subprocesses) at a fresh store of each backend."""
    monkeypatch.setenv("TRACKLINE_STORE", store_url)
    return store_url
