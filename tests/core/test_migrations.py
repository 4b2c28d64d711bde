"""Schema migrations: the models and the migrations agree, and old stores are upgraded in place."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from trackline.errors import SchemaOutdated
from trackline.model.runs import TaskRun
from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine
from trackline.store.sql.store import SqlStore
from trackline.store.sql.tables import metadata


def test_head_read_without_alembic_matches_alembic():
    assert [migrate.head()] == ScriptDirectory.from_config(migrate._config()).get_heads()


def test_migrations_build_exactly_the_models(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), metadata
        )
    assert diff == []


def test_older_store_is_upgraded_not_recreated(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO task_runs (id, name, status, started_at)"
                " VALUES ('old', 'kept', 'success', CURRENT_TIMESTAMP)"
            )
        )
    store = SqlStore(store_url)  # connecting upgrades to head
    assert migrate.current(engine) == migrate.head()
    assert store.get_run("old").name == "kept"
    store.write_task_run(TaskRun(id="new", name="n", status="success"))


def test_auto_upgrade_off_explains_what_to_run(store_url):
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0001")
    if migrate.head() == "0001":
        pytest.skip("only one revision exists: nothing is older than head")
    with pytest.raises(SchemaOutdated, match="trackline db upgrade"):
        SqlStore(store_url, auto_upgrade=False)
