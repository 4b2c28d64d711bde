"""Promote a version to an alias only on a passing decision for its digest; verify deployed
bytes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from ..audit.actor import current_actor
from ..errors import InvalidInput, NotFound, PromotionRefused
from ..model.registry import AliasMove, Expectation, GateDecision, ModelVersion
from ..registry.models import resolve_model
from ..registry.refs import check_alias
from ..registry.store import registry_store
from ..store import AuditStore, RegistryStore, RemoteRules, StoreArg, capability
from .check import as_policy, check_gate
from .policy import Policy

__all__ = ["promote", "refusal"]

log = logging.getLogger("trackline")


def _decision(
    s: RegistryStore,
    mv: ModelVersion,
    policy: Policy | Mapping[str, Any] | str | Path | None,
    decision: str | GateDecision | None,
    actor: str,
) -> GateDecision | None:
    if policy is not None:
        return check_gate(mv, policy, store=s, actor=actor)
    if isinstance(decision, GateDecision):
        # Only what the store recorded counts: a decision object built (or edited) in memory
        # would otherwise move an alias with nothing behind it in the record.
        decision = decision.id
    if decision is not None:
        if not isinstance(decision, str):
            raise InvalidInput(f"decision must be a decision id, not {type(decision).__name__}")
        try:
            return s.get_decision(decision)
        except NotFound:
            return None
    latest = s.list_decisions(model_digest=mv.digest, limit=1)
    return latest[0] if latest else None


def refusal(
    mv: ModelVersion, decision: GateDecision | None, wanted: str | None = None
) -> str | None:
    """Why ``decision`` cannot move an alias to ``mv`` (``None``: it can).

    The one statement of the promotion rule: a recorded decision about exactly these bytes,
    and it passed. ``wanted`` is the decision id asked for, to name it when it is unknown.
    """
    if decision is None:
        if wanted:
            return f"no gate decision {wanted!r} is recorded"
        return (
            f"no gate decision is recorded for {mv.ref} (digest {mv.digest[:16]});"
            " run `trackline gate check`"
        )
    if decision.model_digest != mv.digest:
        return (
            f"decision {decision.id[:12]} is about digest {decision.model_digest[:16]},"
            f" not {mv.ref}'s {mv.digest[:16]}"
        )
    if not decision.passed:
        failed = ", ".join(str(r.index + 1) for r in decision.results if not r.passed)
        return (
            f"the gate {decision.policy_name!r} failed for {mv.ref}"
            f" (rules {failed}; decision {decision.id[:12]})"
        )
    return None


def promote(
    model: str | ModelVersion,
    version: int | str | None = None,
    *,
    alias: str,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    decision: str | GateDecision | None = None,
    reason: str | None = None,
    expected: Expectation | Literal["from-decision"] = "from-decision",
    store: StoreArg = None,
    actor: str | None = None,
) -> AliasMove:
    """Point ``alias`` at the version, if a passing gate decision exists for its exact digest.

    With ``policy`` the gate runs first and its decision is the one that counts; otherwise the
    given ``decision`` (id) or the newest decision about this digest must have passed. The move is
    a compare-and-swap against ``expected``, by default the alias value the decision compared with
    (or saw at the start), so of two racing promotions exactly one wins; both are in the audit log.
    Against a team server the server applies this rule (one request, its own records).
    """
    check_alias(alias)
    who = current_actor(actor)
    s = registry_store(store)
    mv = resolve_model(model, version, store=s)
    if isinstance(s, RemoteRules):
        return s.promote_version(
            mv.name,
            mv.version,
            alias=alias,
            policy=as_policy(policy)[0].canonical() if policy is not None else None,
            decision_id=decision.id if isinstance(decision, GateDecision) else decision,
            reason=reason,
        )
    d = _decision(s, mv, policy, decision, who)
    wanted = decision.id if isinstance(decision, GateDecision) else decision
    why = refusal(mv, d, wanted)
    if why is not None or d is None:
        capability(s, AuditStore).append_audit(  # type: ignore[arg-type]
            "promotion.refused",
            actor=who,
            model=mv.name,
            version=mv.version,
            data={
                "alias": alias,
                "digest": mv.digest,
                "decision_id": d.id if d else wanted,
                "reason": why,
            },
        )
        raise PromotionRefused(f"refusing to move {mv.name}@{alias} to {mv.ref}: {why}")
    if expected == "from-decision":
        expected = (
            d.incumbents[alias] if alias in d.incumbents else s.get_aliases(mv.name).get(alias)
        )
    return s.move_alias(
        mv.name, alias, mv.version, actor=who, expected=expected, decision_id=d.id, reason=reason
    )
