"""Typed settings with one precedence: explicit argument > ``TRACKLINE_*`` environment > default.

trackline reads the environment but never writes to it. ``TRACKLINE_DISABLED=1`` turns every
write into a no-op (the kill switch); ``TRACKLINE_STRICT=1`` makes tracking errors raise.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from .errors import ConfigError

__all__ = ["Settings", "settings", "default_home"]

_DEFAULT_ENV_ALLOWLIST = (
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "TZ",
    "LANG",
    "CI",
    "GITHUB_SHA",
    "GITHUB_RUN_ID",
    "GITLAB_CI",
    "CI_COMMIT_SHA",
)


def default_home() -> Path:
    """``$TRACKLINE_HOME``, else ``~/.trackline``: store, spool and hash cache live here."""
    return Path(os.environ.get("TRACKLINE_HOME") or Path.home() / ".trackline").expanduser()


class Settings(BaseModel):
    """Everything trackline can be told. Field names map to ``TRACKLINE_<NAME>`` variables."""

    model_config = {"frozen": True}

    home: Path = Field(default_factory=default_home)
    store: str | None = None  # URL; None means the SQLite file under ``home``
    spool_dir: Path | None = None
    strict: bool = False
    disabled: bool = False
    auto_upgrade: bool = True
    # Runs that last longer than this get a "running" record and heartbeats (a lease).
    heartbeat_interval: float = Field(default=10.0, gt=0)
    # A running record whose heartbeat is older than this is reaped as crashed.
    stale_after: float = Field(default=60.0, gt=0)
    # Long calls get resource samples at this interval once they pass ``sample_after``.
    sample_interval: float = Field(default=1.0, gt=0)
    sample_after: float = Field(default=1.0, ge=0)
    max_param_bytes: int = Field(default=1024, ge=16)
    capture_environment: bool = True
    # Keep the source text of tracked functions (up to 64 KiB each) so ``diff`` can show it.
    capture_source: bool = True
    hash_cache: bool = True
    env_allowlist: tuple[str, ...] = _DEFAULT_ENV_ALLOWLIST
    busy_timeout: float = Field(default=60.0, gt=0)
    # Remote (http/https) stores: bearer token, per-request timeout, retries of failed requests.
    token: SecretStr | None = None
    http_timeout: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=3, ge=0, le=20)
    # The journal (tracked writes return after a local append; see docs/configuration.md): on
    # unless strict; fsync each append (survives an OS crash, costs milliseconds per call); how
    # long a read and interpreter exit wait for this process's records to be delivered.
    journal: bool = True
    journal_fsync: bool = False
    journal_read_wait: float = Field(default=10.0, ge=0)
    journal_exit_wait: float = Field(default=30.0, ge=0)
    # Data profiles of tabular artifacts (see trackline.monitoring): off, sampled or full.
    profile: Literal["off", "sampled", "full"] = "sampled"
    profile_sample_rows: int = Field(default=100_000, ge=1000)
    # Artifact bytes (trackline.blobs): an fsspec URL or folder; None means ``home/artifacts``.
    # Against a team server (http store) the bytes go through the server unless this is set.
    artifacts: str | None = None
    # What tracked tasks keep: model outputs (default), all outputs, inputs too, or nothing;
    # artifacts larger than ``keep_max_bytes`` are not kept by policy (registering always keeps).
    keep: Literal["models", "outputs", "all", "none"] = "models"
    keep_max_bytes: int = Field(default=8 * 1024**3, ge=0)
    # At interpreter exit, wait at most this long for queued uploads (the rest waits for sync).
    upload_exit_wait: float = Field(default=600.0, ge=0)
    # OpenLineage events of finished runs (trackline.openlineage): off by default. The transport
    # is the openlineage-python client's own configuration (openlineage.yml, OPENLINEAGE__*).
    openlineage: bool = False
    openlineage_namespace: str = "trackline"
    # How long a process waits at exit for its queued events (the rest stay in the outbox).
    openlineage_flush_s: float = Field(default=10.0, ge=0)

    @property
    def openlineage_outbox(self) -> Path:
        """Events waiting to be sent: one folder per store URL, like the spool."""
        return self.home / "openlineage-outbox" / self.spool_path.name

    @property
    def store_url(self) -> str:
        if self.store:
            return self.store
        return f"sqlite:///{self.home / 'trackline.db'}"

    @property
    def artifacts_url(self) -> str:
        """Where artifact bytes live: ``TRACKLINE_ARTIFACTS``, else ``home/artifacts``."""
        return self.artifacts or str(self.home / "artifacts")

    @property
    def spool_path(self) -> Path:
        """The spool folder of this store: one per store URL, so a replay goes where it belongs."""
        base = self.spool_dir or (self.home / "spool")
        return Path(base) / hashlib.sha256(self.store_url.encode()).hexdigest()[:12]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **explicit: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            raw = env.get(f"TRACKLINE_{name.upper()}")
            if raw is None or raw == "":
                continue
            if field.annotation == tuple[str, ...]:
                values[name] = tuple(v.strip() for v in raw.split(",") if v.strip())
            else:
                values[name] = raw
        values.update({k: v for k, v in explicit.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"invalid trackline setting {field} (TRACKLINE_{field.upper()}): {first['msg']}"
            ) from None


_override: dict[str, object] = {}


_cache: dict[tuple, Settings] = {}
_ENV_NAMES = tuple(f"TRACKLINE_{name.upper()}" for name in Settings.model_fields)
_raw_env = getattr(os.environ, "_data", None)
if isinstance(_raw_env, dict) and os.name == "posix":
    _env_get, _ENV_KEYS = _raw_env.get, tuple(os.fsencode(n) for n in _ENV_NAMES)
else:  # pragma: no cover - other platforms keep the public mapping
    _env_get, _ENV_KEYS = os.environ.get, _ENV_NAMES


def settings() -> Settings:
    """The settings in force now (environment plus whatever ``trackline.connect`` chose)."""
    # Called on every tracked call: look up the known variables only, not the whole environment,
    # and (on POSIX) in os.environ's own bytes dict, skipping its per-key encode/decode.
    key = (
        tuple(map(_env_get, _ENV_KEYS)),
        tuple(sorted((k, str(v)) for k, v in _override.items())),
    )
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = Settings.from_env(**_override)
    return found


def set_override(**values: object) -> None:
    _override.update({k: v for k, v in values.items() if v is not None})


def clear_override() -> None:
    _override.clear()
