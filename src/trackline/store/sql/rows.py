"""Artifact records to table rows and back (shared by the run, registry and monitoring stores)."""

from __future__ import annotations

from typing import Any

from ...model.limits import repair_json
from ...model.runs import Artifact, ColumnInfo
from .dialect import utc

__all__ = ["artifact_from_row", "artifact_row"]


def artifact_row(a: Artifact) -> dict[str, Any]:
    # A folder's manifest has its own table (locations.write_manifests), not artifact columns.
    row = a.model_dump(mode="json", exclude={"files", "file_count"})
    row["created_at"] = a.created_at
    return row


def artifact_from_row(m: Any) -> Artifact:
    data = dict(m)
    data["created_at"] = utc(data["created_at"])
    data["columns"] = [ColumnInfo(**c) for c in data["columns"]] if data["columns"] else None
    data["profile"] = repair_json(data["profile"])  # stored before depth limits existed
    return Artifact.model_validate(data)
