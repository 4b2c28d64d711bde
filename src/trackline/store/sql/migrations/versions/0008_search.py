"""search: typed param values and the latest value per (run, metric key)

Revision ID: 0008
Revises: 0006

``params`` gains ``num_value``/``str_value``/``bool_value`` (the value in the column its type
compares in) with (key, value) indexes; ``metric_latest`` holds the last value, min and max of
each (run, metric key). Both are backfilled from the stored history.
"""

import json
import math

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT_MAX = 512  # = searchindex.PARAM_TEXT_MAX, copied so this revision never changes


def _typed(value):
    if isinstance(value, bool):
        return None, None, value
    if isinstance(value, (int, float)):
        f = float(value)
        return (f if math.isfinite(f) else None), None, None
    if isinstance(value, str):
        return None, (value if len(value) <= TEXT_MAX else None), None
    if value is None:
        return None, None, None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return None, (text if len(text) <= TEXT_MAX else None), None


def upgrade() -> None:
    with op.batch_alter_table("params", schema=None) as batch_op:
        batch_op.add_column(sa.Column("num_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("str_value", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bool_value", sa.Boolean(), nullable=True))
        batch_op.create_index("ix_params_key_num", ["key", "num_value"], unique=False)
        batch_op.create_index("ix_params_key_str", ["key", "str_value"], unique=False)

    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_task_runs_pipeline_run")
        batch_op.create_index(
            "ix_task_runs_pipeline_run_name",
            ["pipeline_run_id", "name", "started_at"],
            unique=False,
            sqlite_where=sa.text("pipeline_run_id IS NOT NULL"),
            postgresql_where=sa.text("pipeline_run_id IS NOT NULL"),
        )

    op.create_table(
        "metric_latest",
        sa.Column("task_run_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("step", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("task_run_id", "key"),
    )
    with op.batch_alter_table("metric_latest", schema=None) as batch_op:
        batch_op.create_index("ix_metric_latest_key_value", ["key", "value"], unique=False)

    conn = op.get_bind()
    params = sa.table(
        "params",
        sa.column("task_run_id"),
        sa.column("key"),
        sa.column("value", sa.JSON()),
        sa.column("num_value"),
        sa.column("str_value"),
        sa.column("bool_value"),
    )
    rows = conn.execute(sa.select(params.c.task_run_id, params.c.key, params.c.value)).all()
    updates = []
    for run_id, key, value in rows:
        num, text, flag = _typed(value)
        if num is not None or text is not None or flag is not None:
            updates.append({"r": run_id, "k": key, "n": num, "s": text, "b": flag})
    if updates:
        conn.execute(
            sa.update(params)
            .where(params.c.task_run_id == sa.bindparam("r"), params.c.key == sa.bindparam("k"))
            .values(
                num_value=sa.bindparam("n"),
                str_value=sa.bindparam("s"),
                bool_value=sa.bindparam("b"),
            ),
            updates,
        )
    # Last value: highest step (no step counts as -1), then newest timestamp, then id.
    conn.execute(
        sa.text(
            "INSERT INTO metric_latest "
            "(task_run_id, key, value, step, timestamp, min_value, max_value) "
            "SELECT task_run_id, key, value, step, timestamp, mn, mx FROM ("
            " SELECT task_run_id, key, value, step, timestamp,"
            "  MIN(value) OVER (PARTITION BY task_run_id, key) AS mn,"
            "  MAX(value) OVER (PARTITION BY task_run_id, key) AS mx,"
            "  ROW_NUMBER() OVER (PARTITION BY task_run_id, key"
            "   ORDER BY COALESCE(step, -1) DESC, timestamp DESC, id DESC) AS rn"
            " FROM metrics) ranked WHERE rn = 1"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_task_runs_pipeline_run_name")
        batch_op.create_index(
            "ix_task_runs_pipeline_run",
            ["pipeline_run_id"],
            unique=False,
            sqlite_where=sa.text("pipeline_run_id IS NOT NULL"),
            postgresql_where=sa.text("pipeline_run_id IS NOT NULL"),
        )
    with op.batch_alter_table("metric_latest", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_latest_key_value")
    op.drop_table("metric_latest")
    with op.batch_alter_table("params", schema=None) as batch_op:
        batch_op.drop_index("ix_params_key_str")
        batch_op.drop_index("ix_params_key_num")
        batch_op.drop_column("bool_value")
        batch_op.drop_column("str_value")
        batch_op.drop_column("num_value")
