"""Verify deployed bytes: is this file exactly the registered version's artifact?"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..audit.actor import current_actor
from ..capture.artifacts import describe_path
from ..errors import InvalidInput, expect
from ..model.registry import ModelVersion, VerifyResult
from ..store import AuditStore, StoreArg, capability
from .models import resolve_model
from .store import registry_store

__all__ = ["verify_model"]

log = logging.getLogger("trackline")


def verify_model(
    ref: str | ModelVersion,
    path: str | os.PathLike,
    *,
    store: StoreArg = None,
    actor: str | None = None,
) -> VerifyResult:
    """Hash the bytes at ``path`` afresh and compare them with the version's artifact digest."""
    expect(path, (str, os.PathLike), "path")
    if path is None:
        raise InvalidInput("verify_model needs the path of the deployed file")
    s = registry_store(store)
    mv = resolve_model(ref, store=s)
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"nothing to verify at {os.fspath(path)!r}: no such file or directory")
    actual = describe_path(p, use_cache=False).digest  # never trust a stat cache here
    result = VerifyResult(
        ref=str(ref) if isinstance(ref, str) else mv.ref,
        name=mv.name,
        version=mv.version,
        path=str(p.resolve()),
        expected_digest=mv.digest,
        actual_digest=actual,
        ok=actual == mv.digest,
    )
    try:
        capability(s, AuditStore).append_audit(  # type: ignore[arg-type]
            "model.verified",
            actor=current_actor(actor),
            model=mv.name,
            version=mv.version,
            data={
                "ref": result.ref,
                "path": result.path,
                "expected": mv.digest,
                "actual": actual,
                "ok": result.ok,
            },
        )
    except Exception as exc:  # noqa: BLE001 - a read-only deploy credential must still verify
        log.warning("trackline: could not audit the verification of %s: %s", mv.ref, exc)
    return result
