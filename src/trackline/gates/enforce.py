"""The one gate step every orchestrator adapter calls: check, then (on pass) optionally promote."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GateFailed
from ..model.registry import AliasMove, GateDecision
from ..store import StoreArg
from .check import check_gate
from .policy import Policy
from .promotion import promote
from .render import decision_text

__all__ = ["GateOutcome", "enforce_gate"]

log = logging.getLogger("trackline")


@dataclass(frozen=True)
class GateOutcome:
    decision: GateDecision
    promotion: AliasMove | None = None

    @property
    def passed(self) -> bool:
        return self.decision.passed

    def summary(self) -> dict:
        """JSON-safe, small enough for an XCom or a Prefect result."""
        return {
            "verdict": self.decision.verdict,
            "decision_id": self.decision.id,
            "model": self.decision.model_name,
            "version": self.decision.model_version,
            "digest": self.decision.model_digest,
            "policy": self.decision.policy_name,
            "failed_rules": [r.rule for r in self.decision.results if not r.passed],
            "promoted_to": self.promotion.alias if self.promotion else None,
        }


def enforce_gate(
    model: str,
    policy: Policy | Mapping[str, Any] | str | Path,
    version: int | str | None = None,
    *,
    promote_to: str | None = None,
    raise_on_fail: bool = True,
    store: StoreArg = None,
    actor: str | None = None,
) -> GateOutcome:
    """Check the gate; on pass and with ``promote_to``, move that alias using this very decision.

    A failing verdict raises ``GateFailed`` (carrying the decision) unless ``raise_on_fail`` is
    false, in which case the caller decides (e.g. skip downstream deploy tasks).
    """
    decision = check_gate(model, policy, version, store=store, actor=actor)
    log.info("trackline gate:\n%s", decision_text(decision))
    if not decision.passed:
        if raise_on_fail:
            failed = "; ".join(f"{r.rule}: {r.message}" for r in decision.results if not r.passed)
            raise GateFailed(
                f"gate {decision.policy_name!r} failed for "
                f"{decision.model_name}/{decision.model_version}: {failed}",
                decision,
            )
        return GateOutcome(decision)
    move = None
    if promote_to:
        move = promote(
            decision.model_name,
            decision.model_version,
            alias=promote_to,
            decision=decision,
            store=store,
            actor=actor,
        )
    return GateOutcome(decision, move)
