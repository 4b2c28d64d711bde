"""Alembic environment: runs on the connection trackline hands over (see ``migrate.py``)."""

from alembic import context

from trackline.store.sql import (
    monitoring_tables,  # noqa: F401 - registers its tables in metadata
    registry_tables,  # noqa: F401 - registers its tables in metadata
)
from trackline.store.sql.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
