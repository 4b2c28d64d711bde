"""monitoring: drift reports, trigger episodes and firings

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drift_reports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("reference_ref", sa.String(length=1024), nullable=False),
        sa.Column("current_ref", sa.String(length=1024), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("report_digest", sa.String(length=128), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drift_reports", schema=None) as batch_op:
        batch_op.create_index("ix_drift_reports_created", ["created_at"], unique=False)

    op.create_table(
        "drift_report_artifacts",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("artifact_digest", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "role", "artifact_digest"),
    )
    with op.batch_alter_table("drift_report_artifacts", schema=None) as batch_op:
        batch_op.create_index("ix_drift_report_artifacts_digest", ["artifact_digest"], unique=False)

    op.create_table(
        "monitor_episodes",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("episode", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "trigger_firings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("policy", sa.String(length=512), nullable=False),
        sa.Column("rule", sa.String(length=512), nullable=False),
        sa.Column("episode", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("trigger_firings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trigger_firings_policy_rule", ["policy", "rule", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trigger_firings", schema=None) as batch_op:
        batch_op.drop_index("ix_trigger_firings_policy_rule")
    op.drop_table("trigger_firings")
    op.drop_table("monitor_episodes")
    with op.batch_alter_table("drift_report_artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_drift_report_artifacts_digest")
    op.drop_table("drift_report_artifacts")
    with op.batch_alter_table("drift_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_drift_reports_created")
    op.drop_table("drift_reports")
