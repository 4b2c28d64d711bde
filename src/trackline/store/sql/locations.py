"""Locations and folder manifests in SQL: written with a run, read by artifact, path or file.

A location row is one observation (digest, URI, run, direction, slot, time). A folder's manifest
is written once per folder digest (the same bytes have the same files).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...model.runs import Artifact, ArtifactLocation, FolderFile, TaskRun, utcnow
from .dialect import chunks, insert_ignore, utc
from .location_tables import ArtifactLocationRow, FolderFileRow

__all__ = [
    "write_locations",
    "write_manifests",
    "run_locations",
    "locations_of",
    "locations_at",
    "manifest_of",
    "folders_with",
    "location_rows",
]

T_LOC = ArtifactLocationRow.__table__
T_FILES = FolderFileRow.__table__
# Longer URIs (UTF-8 bytes) get no location row: PostgreSQL cannot index a btree entry over
# ~2.7 kB, and a record must not be refused for it. The artifact keeps its URI all the same.
LOCATION_URI_BYTES = 2048
_PK = ["task_run_id", "direction", "artifact_digest", "uri"]


def location_rows(run: TaskRun) -> list[dict[str, Any]]:
    """One row per input/output ref that has a location (paths; in-memory values have none;
    URIs over ``LOCATION_URI_BYTES`` have none either)."""
    rows = []
    for direction, refs, at in (
        ("input", run.inputs, run.started_at),
        ("output", run.outputs, run.ended_at or run.heartbeat_at or run.started_at),
    ):
        for ref in refs:
            if ref.uri and (len(ref.uri) <= 512 or len(ref.uri.encode()) <= LOCATION_URI_BYTES):
                rows.append(
                    {
                        "task_run_id": run.id,
                        "direction": direction,
                        "artifact_digest": ref.digest,
                        "uri": ref.uri,
                        "slot": ref.name,
                        "seen_at": at or utcnow(),
                    }
                )
    return rows


def write_locations(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert_ignore(conn, T_LOC, _PK), rows)


def write_manifests(conn: sa.Connection, artifacts: list[Artifact]) -> None:
    """Each folder's manifest, once per folder digest."""
    for art in artifacts:
        if not art.files:
            continue
        known = conn.execute(
            sa.select(T_FILES.c.folder_digest).where(T_FILES.c.folder_digest == art.digest).limit(1)
        ).first()
        if known is not None:
            continue
        rows = [
            {
                "folder_digest": art.digest,
                "path": f.path,
                "file_digest": f.digest,
                "size_bytes": f.size_bytes,
            }
            for f in art.files
        ]
        for batch in chunks(rows, 5000):
            conn.execute(insert_ignore(conn, T_FILES, ["folder_digest", "path"]), batch)


def registered_location(
    conn: sa.Connection, digest: str, uri: str, at: datetime | None = None
) -> None:
    write_locations(
        conn,
        [
            {
                "task_run_id": "",
                "direction": "registered",
                "artifact_digest": digest,
                "uri": uri,
                "slot": None,
                "seen_at": at or utcnow(),
            }
        ],
    )


def run_locations(conn: sa.Connection, run_id: str) -> dict[tuple[str, str, str | None], str]:
    """(direction, digest, slot) → URI as this run saw it; slot None for any slot."""
    out: dict[tuple[str, str, str | None], str] = {}
    for d, digest, uri, slot in conn.execute(
        sa.select(T_LOC.c.direction, T_LOC.c.artifact_digest, T_LOC.c.uri, T_LOC.c.slot).where(
            T_LOC.c.task_run_id == run_id
        )
    ):
        out[(d, digest, slot)] = uri
        out.setdefault((d, digest, None), uri)
    return out


def _loc(r: Any) -> ArtifactLocation:
    return ArtifactLocation(
        digest=r.artifact_digest,
        uri=r.uri,
        run_id=r.task_run_id or None,
        direction=r.direction,
        seen_at=utc(r.seen_at),
    )


def locations_of(conn: sa.Connection, digest: str) -> list[ArtifactLocation]:
    rows = conn.execute(
        sa.select(T_LOC).where(T_LOC.c.artifact_digest == digest).order_by(T_LOC.c.seen_at)
    )
    return [_loc(r) for r in rows]


def locations_at(conn: sa.Connection, uri: str, limit: int = 20) -> list[ArtifactLocation]:
    """Observations at a location, newest first."""
    rows = conn.execute(
        sa.select(T_LOC).where(T_LOC.c.uri == uri).order_by(T_LOC.c.seen_at.desc()).limit(limit)
    )
    return [_loc(r) for r in rows]


def manifest_of(conn: sa.Connection, digest: str) -> list[FolderFile]:
    rows = conn.execute(
        sa.select(T_FILES).where(T_FILES.c.folder_digest == digest).order_by(T_FILES.c.path)
    )
    return [FolderFile(path=r.path, digest=r.file_digest, size_bytes=r.size_bytes) for r in rows]


def folders_with(conn: sa.Connection, file_digest: str, limit: int = 1000) -> list[tuple[str, str]]:
    """(folder digest, path in it) of the folders whose manifest holds these bytes."""
    rows = conn.execute(
        sa.select(T_FILES.c.folder_digest, T_FILES.c.path)
        .where(T_FILES.c.file_digest == file_digest)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]
