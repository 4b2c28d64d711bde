"""metric series: a run's points of one key stored in columns, one row per series

Revision ID: 0014
Revises: 0011

One row per point (``metrics``) costs an index entry and a primary-key probe per point: a
batched ``log_metric`` loop spent most of its time there. The recorder now writes a key's points
as one row of JSON arrays; ``metrics`` keeps points written one record each, and readers union
both (docs/concepts.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_series",
        sa.Column("task_run_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("vals", sa.Text(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("times", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("task_run_id", "id"),
    )
    with op.batch_alter_table("metric_series", schema=None) as batch_op:
        batch_op.create_index("ix_metric_series_run_key", ["task_run_id", "key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metric_series", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_series_run_key")
    op.drop_table("metric_series")
