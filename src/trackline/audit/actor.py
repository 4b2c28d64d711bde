"""Who did it: ``TRACKLINE_ACTOR`` (CI jobs, the server passing a token name), else the OS user."""

from __future__ import annotations

import getpass
import os

from ..errors import expect

__all__ = ["current_actor"]


def current_actor(explicit: str | None = None) -> str:
    expect(explicit, str, "actor")
    if explicit:
        return explicit
    env = os.environ.get("TRACKLINE_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry (some containers): still say something
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
