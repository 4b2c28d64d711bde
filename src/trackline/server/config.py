"""What a server is told when it starts. Passed to worker processes as JSON in one variable."""

from __future__ import annotations

import json
import os

from pydantic import BaseModel, Field

__all__ = ["ENV_VAR", "ServerConfig"]

ENV_VAR = "TRACKLINE_SERVER_CONFIG"


class ServerConfig(BaseModel):
    model_config = {"frozen": True}

    store: str  # SQL store URL the server fronts (sqlite:/// or postgresql://)
    allow_anonymous_read: bool = False
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # One OpenLineage event (POST /api/v1/lineage); larger ones are refused with 413.
    max_openlineage_event_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Runs whose heartbeat is older than this are reaped as crashed when listed.
    stale_after: float = Field(default=60.0, gt=0)
    # Artifact bytes (fsspec URL or folder); None: TRACKLINE_ARTIFACTS, else home/artifacts.
    artifacts: str | None = None

    def to_env(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_env(cls) -> ServerConfig:
        from ..errors import ConfigError

        raw = os.environ.get(ENV_VAR)
        if not raw:
            raise ConfigError(f"{ENV_VAR} is not set: start the server with `trackline server`")
        return cls.model_validate(json.loads(raw))
