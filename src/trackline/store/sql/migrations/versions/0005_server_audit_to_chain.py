"""server events go to the hash-chained audit log: drop server_audit_events

Revision ID: 0005
Revises: 0004

Events already in the table are appended to the chain first (oldest first), so upgrading a
server's store loses none of its history of denied requests and token changes.
"""

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def canonical_json(value):
    # Frozen copy of the chain's canonical JSON as of this revision: a migration must not change
    # when runtime code changes.
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
    )


def _canonical_time(at):
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _copy_events_into_chain(conn) -> None:
    events = sa.table(
        "server_audit_events",
        sa.column("id"),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor"),
        sa.column("action"),
        sa.column("target"),
        sa.column("outcome"),
        sa.column("detail", sa.JSON()),
    )
    audit = sa.table(
        "audit_log",
        sa.column("seq"),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor"),
        sa.column("action"),
        sa.column("model"),
        sa.column("version"),
        sa.column("data", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    rows = conn.execute(sa.select(events).order_by(events.c.id)).all()
    if not rows:
        return
    seq, prev = conn.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
    for r in rows:
        seq += 1
        data = {**(r.detail or {}), "outcome": r.outcome, "target": r.target}
        body = canonical_json(
            {
                "seq": seq,
                "at": _canonical_time(r.at),
                "actor": r.actor,
                "action": r.action,
                "model": None,
                "version": None,
                "data": data,
            }
        )
        digest = hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()
        conn.execute(
            sa.insert(audit).values(
                seq=seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                model=None,
                version=None,
                data=data,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    conn.execute(sa.update(head).where(head.c.id == 1).values(seq=seq, hash=prev))


def upgrade() -> None:
    _copy_events_into_chain(op.get_bind())
    with op.batch_alter_table("server_audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_server_audit_events_at")
    op.drop_table("server_audit_events")


def downgrade() -> None:
    # The events stay in the audit log (it is append-only); the old table comes back empty.
    op.create_table(
        "server_audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("server_audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_server_audit_events_at", ["at"], unique=False)
