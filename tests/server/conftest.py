"""One real server per session (PostgreSQL, two uvicorn workers, a token of every role) and a
real pipeline recorded through it; tests that need their own server start one from ``harness``."""

from __future__ import annotations

import pytest

from trackline.server.access import TokenStore

from .harness import Server, free_port, run_pipeline

ROLES = ("reader", "writer", "approver", "admin")


@pytest.fixture(scope="session")
def server(pg_database, tmp_path_factory) -> Server:
    home = tmp_path_factory.mktemp("server-home")
    store = pg_database()
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store, home=home)
    # In-process (the CLI path has its own test): one interpreter start less per token.
    tokens = TokenStore.for_url(store)
    srv.tokens = {role: tokens.create(f"{role}-bot", role)[0] for role in ROLES}
    tokens.engine.dispose()
    srv.start(workers=2)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def recorded(server: Server, tmp_path_factory) -> dict:
    """Two real runs of the churn-model pipeline (one with a failing publish step)."""
    base = tmp_path_factory.mktemp("pipelines")
    first = run_pipeline(server, base / "a", 0.1)
    second = run_pipeline(server, base / "b", 0.3, fail=True)
    return {"first": first, "second": second}
