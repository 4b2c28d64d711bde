"""Migration 0006 adds the monitoring tables to an existing store and can be rolled back."""

from __future__ import annotations

import sqlalchemy as sa

from trackline.store.sql import migrate
from trackline.store.sql.engine import create_engine

TABLES = {"drift_reports", "drift_report_artifacts", "monitor_episodes", "trigger_firings"}


def test_upgrade_and_downgrade(store_url):
    from alembic import command

    engine = create_engine(store_url)
    migrate.upgrade(engine, "0005")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0005")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
