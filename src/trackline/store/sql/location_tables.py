"""Where bytes were seen and what a folder holds (migration 0007).

``artifact_locations`` keeps every (digest, location, run, direction) observation, so a file
keeps all the paths it was read from or written to, not only the first. ``folder_files`` is the
manifest of a folder artifact: each file's digest, so a file's bytes lead to the folders (and
runs) that contained them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

__all__ = ["ArtifactLocationRow", "FolderFileRow"]


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class ArtifactLocationRow(SQLModel, table=True):
    __tablename__ = "artifact_locations"
    __table_args__ = (
        Index("ix_artifact_locations_digest", "artifact_digest"),
        Index("ix_artifact_locations_uri_seen", "uri", "seen_at"),
    )
    # task_run_id is '' for an observation outside a run (e.g. a model registered from a path).
    task_run_id: str = Field(primary_key=True, max_length=64)
    direction: str = Field(primary_key=True, max_length=16)
    artifact_digest: str = Field(primary_key=True, max_length=128)
    uri: str = Field(sa_column=Column(Text, primary_key=True))
    slot: str | None = Field(default=None, max_length=512)
    seen_at: datetime | None = _ts()


class FolderFileRow(SQLModel, table=True):
    __tablename__ = "folder_files"
    __table_args__ = (Index("ix_folder_files_file", "file_digest"),)
    folder_digest: str = Field(primary_key=True, max_length=128)
    path: str = Field(sa_column=Column(Text, primary_key=True))
    file_digest: str = Field(max_length=128)
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
