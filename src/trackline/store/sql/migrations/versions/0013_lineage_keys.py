"""lineage keys: integer surrogate keys for runs and artifacts, copied into events

Revision ID: 0013
Revises: 0008

A closure hop probes the event table once per frontier node; with 32- and 64-character text keys
a probe cost several times an integer one (see docs/benchmarks.md). Runs and artifacts get a
``seq`` (unique, never reused), events carry both ends' ``seq`` and two covering indexes, one per
direction of travel. Existing events are filled in here (a data migration).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    for table in ("task_runs", "artifacts"):
        op.add_column(table, sa.Column("seq", sa.BigInteger(), nullable=True))
        if pg:  # new rows take the next value by default, raw inserts (COPY) too
            op.execute(f"CREATE SEQUENCE {table}_seq_seq OWNED BY {table}.seq")
            op.execute(f"UPDATE {table} SET seq = nextval('{table}_seq_seq')")
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN seq SET DEFAULT nextval('{table}_seq_seq')"
            )
        else:  # SQLite writers assign max + 1 inside their BEGIN IMMEDIATE transaction
            op.execute(f"UPDATE {table} SET seq = rowid")
        op.create_index(f"ux_{table}_seq", table, ["seq"], unique=True)
    op.add_column("events", sa.Column("run_seq", sa.BigInteger(), nullable=True))
    op.add_column("events", sa.Column("art_seq", sa.BigInteger(), nullable=True))
    if pg:
        op.execute(
            "UPDATE events e SET run_seq = r.seq, art_seq = a.seq"
            " FROM task_runs r, artifacts a"
            " WHERE r.id = e.task_run_id AND a.digest = e.artifact_digest"
        )
    else:
        op.execute(
            "UPDATE events SET"
            " run_seq = (SELECT seq FROM task_runs WHERE id = events.task_run_id),"
            " art_seq = (SELECT seq FROM artifacts WHERE digest = events.artifact_digest)"
        )
    op.drop_index("ix_events_artifact_direction", table_name="events")
    op.create_index(
        "ix_events_run_edges", "events", ["run_seq", "direction", "art_seq", "slot"], unique=False
    )
    op.create_index(
        "ix_events_artifact_edges",
        "events",
        ["art_seq", "direction", "run_seq", "slot"],
        unique=False,
    )
    if pg:
        op.execute(WALK_FUNCTION)
        # fresh statistics for the new columns (VACUUM cannot run in this transaction)
        op.execute("ANALYZE task_runs, artifacts, events")


# PostgreSQL walks a closure server-side: the same hop-wise set queries as on SQLite (one
# index-only ``= ANY(array)`` probe of the frontier per hop, each node expanded once), in one
# round trip instead of one per hop. Returns the edges found: (run seq, artifact seq, is input,
# slot). ``max_depth`` NULL: no limit.
WALK_FUNCTION = """
CREATE OR REPLACE FUNCTION trackline_walk(
    root bigint, root_is_run boolean, upstream boolean, max_depth integer
) RETURNS TABLE (run_seq bigint, art_seq bigint, is_input boolean, slot varchar)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    frontier bigint[] := ARRAY[root];
    seen bigint[];
    seen_runs bigint[] := CASE WHEN root_is_run THEN ARRAY[root] ELSE '{}'::bigint[] END;
    seen_arts bigint[] := CASE WHEN root_is_run THEN '{}'::bigint[] ELSE ARRAY[root] END;
    at_runs boolean := root_is_run;
    wanted text;
    runs bigint[];
    arts bigint[];
    slots varchar[];
    hops integer := 0;
BEGIN
    WHILE cardinality(frontier) > 0 AND (max_depth IS NULL OR hops < max_depth) LOOP
        -- from runs, upstream follows their inputs; from artifacts, the runs that output them
        wanted := CASE WHEN at_runs = upstream THEN 'input' ELSE 'output' END;
        IF at_runs THEN
            SELECT array_agg(e.run_seq), array_agg(e.art_seq), array_agg(e.slot)
              INTO runs, arts, slots
              FROM events e WHERE e.run_seq = ANY(frontier) AND e.direction = wanted
                AND e.run_seq IS NOT NULL AND e.art_seq IS NOT NULL;
        ELSE
            SELECT array_agg(e.run_seq), array_agg(e.art_seq), array_agg(e.slot)
              INTO runs, arts, slots
              FROM events e WHERE e.art_seq = ANY(frontier) AND e.direction = wanted
                AND e.run_seq IS NOT NULL AND e.art_seq IS NOT NULL;
        END IF;
        EXIT WHEN runs IS NULL;
        RETURN QUERY
            SELECT u.r, u.a, wanted = 'input', u.s FROM unnest(runs, arts, slots) u(r, a, s);
        seen := CASE WHEN at_runs THEN seen_arts ELSE seen_runs END;
        SELECT coalesce(array_agg(n), '{}') INTO frontier FROM (
            SELECT unnest(CASE WHEN at_runs THEN arts ELSE runs END) EXCEPT SELECT unnest(seen)
        ) t(n);
        IF at_runs THEN
            seen_arts := seen_arts || frontier;
        ELSE
            seen_runs := seen_runs || frontier;
        END IF;
        at_runs := NOT at_runs;
        hops := hops + 1;
    END LOOP;
END;
$$
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS trackline_walk(bigint, boolean, boolean, integer)")
    op.drop_index("ix_events_artifact_edges", table_name="events")
    op.drop_index("ix_events_run_edges", table_name="events")
    op.create_index(
        "ix_events_artifact_direction", "events", ["artifact_digest", "direction"], unique=False
    )
    with op.batch_alter_table("events") as batch:
        batch.drop_column("art_seq")
        batch.drop_column("run_seq")
    for table in ("artifacts", "task_runs"):
        op.drop_index(f"ux_{table}_seq", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seq")
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP SEQUENCE IF EXISTS {table}_seq_seq")
