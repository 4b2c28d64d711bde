"""locations and folder manifests: every place bytes were seen, each folder's files

Revision ID: 0007
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifact_locations",
        sa.Column("task_run_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("artifact_digest", sa.String(length=128), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("slot", sa.String(length=512), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task_run_id", "direction", "artifact_digest", "uri"),
    )
    with op.batch_alter_table("artifact_locations", schema=None) as batch_op:
        batch_op.create_index("ix_artifact_locations_digest", ["artifact_digest"], unique=False)
        batch_op.create_index("ix_artifact_locations_uri_seen", ["uri", "seen_at"], unique=False)
    op.create_table(
        "folder_files",
        sa.Column("folder_digest", sa.String(length=128), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("file_digest", sa.String(length=128), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("folder_digest", "path"),
    )
    with op.batch_alter_table("folder_files", schema=None) as batch_op:
        batch_op.create_index("ix_folder_files_file", ["file_digest"], unique=False)
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("producer_rule", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_column("producer_rule")
        batch_op.drop_column("uri")
    op.drop_table("folder_files")
    op.drop_table("artifact_locations")
