"""unbreakable records: run-scoped metric ids, unique active token names, repair of stored rows

Revision ID: 0009
Revises: 0007

The audit log is left as stored (its entries are hash-chained); reads repair what they show.
Rows stored before the limits of ``trackline.model.limits`` existed are repaired in place, so
every read works: JSON nested deeper than ``JSON_DEPTH`` is cut (the cut level says so), NUL
characters and lone surrogates in JSON are replaced, and on SQLite (which does not enforce
VARCHAR lengths) over-long non-key strings are clipped. Duplicate active token names (from the
race this revision closes) keep their oldest token; the others are revoked.
"""

import json
import warnings

import sqlalchemy as sa
from alembic import op

from trackline.model.limits import repair_json

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, key columns, JSON columns)
_JSON = (
    ("task_runs", ("id",), ("code", "resources", "external_ids")),
    ("pipeline_runs", ("id",), ("config", "external_ids")),
    ("params", ("task_run_id", "key"), ("value",)),
    ("artifacts", ("digest",), ("columns", "profile")),
    ("model_versions", ("name", "version"), ("tags", "metadata")),
)
# Non-key VARCHAR columns SQLite may hold over-long: (table, column, length).
_CLIP = (
    ("task_runs", "name", 512),
    ("task_runs", "pipeline", 512),
    ("task_runs", "status", 32),
    ("task_runs", "host", 255),
    ("task_runs", "error_type", 512),
    ("pipeline_runs", "pipeline", 512),
    ("pipeline_runs", "status", 32),
    ("pipeline_runs", "host", 255),
    ("artifacts", "name", 512),
    ("artifacts", "kind", 32),
    ("artifacts", "media_type", 255),
)


def _load(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value


def _repair_json_columns(conn) -> None:
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    for table, keys, columns in _JSON:
        if table not in tables:
            continue
        present = {c["name"] for c in inspector.get_columns(table)}
        columns = tuple(c for c in columns if c in present)
        if not columns:
            continue
        t = sa.table(
            table, *(sa.column(k) for k in keys), *(sa.column(c, sa.Text) for c in columns)
        )
        # Read as text: a value too deep for the JSON decoder must not stop the migration.
        cast = [sa.cast(t.c[c], sa.Text).label(c) for c in columns]
        for row in conn.execute(sa.select(*(t.c[k] for k in keys), *cast)).mappings().all():
            fixed = {}
            for c in columns:
                raw = row[c]
                if raw is None:
                    continue
                value = _load(raw)
                repaired = repair_json(value) if value is not None else "<unreadable JSON removed>"
                if value is None or repaired is not value:
                    fixed[c] = json.dumps(repaired)
            if fixed:
                where = sa.and_(*(t.c[k] == row[k] for k in keys))
                stmt = sa.update(t).where(where)
                if conn.dialect.name == "postgresql":
                    values = {c: sa.cast(sa.literal(v), sa.JSON) for c, v in fixed.items()}
                else:
                    values = fixed
                conn.execute(stmt.values(**values))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.drop_constraint("metrics_pkey", "metrics", type_="primary")
        op.create_primary_key("metrics_pkey", "metrics", ["task_run_id", "id"])
    else:  # SQLite: the table is rebuilt with the new key (SQLAlchemy notes the key changed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            with op.batch_alter_table("metrics", recreate="always") as batch_op:
                batch_op.create_primary_key("metrics_pkey", ["task_run_id", "id"])

    # Duplicate active names (the race): the oldest token keeps its name, later ones are revoked.
    rows = conn.execute(
        sa.text("SELECT id, name FROM api_tokens WHERE revoked_at IS NULL ORDER BY created_at, id")
    ).all()
    seen: set[str] = set()
    for token_id, name in rows:
        if name in seen:
            conn.execute(
                sa.text("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"id": token_id},
            )
        seen.add(name)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ux_api_tokens_active_name",
            ["name"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    _repair_json_columns(conn)
    if conn.dialect.name == "sqlite":
        for table, column, length in _CLIP:
            conn.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = substr(replace({column}, char(0), ''), 1, "
                    f"{length}) WHERE length({column}) > {length} OR instr({column}, char(0)) > 0"
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index("ux_api_tokens_active_name")
    with op.batch_alter_table("metrics", recreate="always") as batch_op:
        batch_op.create_primary_key("metrics_pkey", ["id"])
