"""Promote a version to an alias only on a passing decision for its digest; verify deployed
bytes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..audit.actor import current_actor
from ..capture.artifacts import describe_path
from ..errors import InvalidInput, PromotionRefused
from ..model.registry import AliasMove, GateDecision, ModelVersion, VerifyResult
from .models import resolve_model
from .refs import check_alias
from .store import registry_store

__all__ = ["promote", "verify_model"]

log = logging.getLogger("trackline")


def _decision(s, mv: ModelVersion, policy, decision: str | GateDecision | None, actor: str):
    if policy is not None:
        from ..gates.check import check_gate

        return check_gate(mv, policy, store=s, actor=actor)
    if isinstance(decision, GateDecision):
        return decision
    if decision is not None:
        return s.get_decision(decision)
    latest = s.list_decisions(model_digest=mv.digest, limit=1)
    return latest[0] if latest else None


def promote(
    model: str | ModelVersion,
    version: int | str | None = None,
    *,
    alias: str,
    policy=None,
    decision: str | GateDecision | None = None,
    reason: str | None = None,
    store=None,
    actor: str | None = None,
) -> AliasMove:
    """Point ``alias`` at the version, if a passing gate decision exists for its exact digest.

    With ``policy`` the gate runs first and its decision is the one that counts; otherwise the
    given ``decision`` (id) or the newest decision about this digest must have passed. The move is
    a compare-and-swap against the alias value the decision compared with (or saw at the start),
    so of two racing promotions exactly one wins; both are in the audit log.
    """
    check_alias(alias)
    who = current_actor(actor)
    s = registry_store(store)
    mv = resolve_model(model, version, store=s)
    d = _decision(s, mv, policy, decision, who)
    why = None
    if d is None:
        why = f"no gate decision is recorded for {mv.ref} (digest {mv.digest[:16]}); run `trackline gate check`"
    elif d.model_digest != mv.digest:
        why = f"decision {d.id[:12]} is about digest {d.model_digest[:16]}, not {mv.ref}'s {mv.digest[:16]}"
    elif not d.passed:
        failed = ", ".join(str(r.index + 1) for r in d.results if not r.passed)
        why = (
            f"the gate {d.policy_name!r} failed for {mv.ref} (rules {failed}; decision {d.id[:12]})"
        )
    if why is not None:
        s.append_audit(
            "promotion.refused",
            actor=who,
            model=mv.name,
            version=mv.version,
            data={
                "alias": alias,
                "digest": mv.digest,
                "decision_id": d.id if d else None,
                "reason": why,
            },
        )
        raise PromotionRefused(f"refusing to move {mv.name}@{alias} to {mv.ref}: {why}")
    expected = d.incumbents[alias] if alias in d.incumbents else s.get_aliases(mv.name).get(alias)
    return s.move_alias(
        mv.name, alias, mv.version, actor=who, expected=expected, decision_id=d.id, reason=reason
    )


def verify_model(
    ref: str | ModelVersion, path: str | os.PathLike, *, store=None, actor: str | None = None
) -> VerifyResult:
    """Hash the bytes at ``path`` afresh and compare them with the version's artifact digest."""
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
        s.append_audit(
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
