"""openlineage: received OpenLineage events; artifacts looked up by location

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openlineage_events",
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("event_time", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_namespace", sa.String(length=1024), nullable=False),
        sa.Column("job_name", sa.String(length=1024), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "event_type", "event_time"),
    )
    with op.batch_alter_table("openlineage_events", schema=None) as batch_op:
        batch_op.create_index("ix_openlineage_events_received", ["received_at"], unique=False)
    # Name-identified datasets join content-identified ones at the same location: a hash index
    # on PostgreSQL (a B-tree refuses keys over ~2.7 kB, and URIs may be longer).
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.create_index("ix_artifacts_uri", ["uri"], unique=False, postgresql_using="hash")


def downgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_artifacts_uri")
    with op.batch_alter_table("openlineage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_openlineage_events_received")
    op.drop_table("openlineage_events")
