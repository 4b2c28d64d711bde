"""Run a policy against a model version and record the decision (pass or fail) with its evidence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..audit.actor import current_actor
from ..errors import ConfigError
from ..model.ids import new_id
from ..model.registry import GateDecision, ModelVersion
from ..registry.models import resolve_model
from ..registry.store import registry_store
from ..store import RemoteRules, StoreArg
from .context import GateContext
from .policy import EvaluationAgeRule, Policy, load_policy, parse_policy
from .rules import check_rule

__all__ = ["check_gate", "as_policy"]


def as_policy(policy: Policy | Mapping[str, Any] | str | Path) -> tuple[Policy, str | None]:
    """A policy, and the file it came from (None when it was given as an object)."""
    if isinstance(policy, Policy):
        return policy, None
    if isinstance(policy, Mapping):  # the YAML file's content, as a dict
        return parse_policy(dict(policy)), None
    if not isinstance(policy, (str, os.PathLike)):
        raise ConfigError(
            f"a gate policy is a Policy, a mapping or a YAML file path, not {type(policy).__name__}"
        )
    return load_policy(policy), str(Path(policy).resolve())


def check_gate(
    model_ref: str | ModelVersion,
    policy: Policy | Mapping[str, Any] | str | Path,
    version: int | str | None = None,
    *,
    store: StoreArg = None,
    actor: str | None = None,
    decision_id: str | None = None,
    policy_file: str | None = None,
) -> GateDecision:
    """Check ``policy`` against the model version and record the decision.

    Returns the decision whatever the verdict (``decision.passed``); raises only for errors such
    as an invalid policy or an unknown model. The returned decision is the one the store
    recorded: a team server re-checks the policy itself and its decision is the one that counts.
    """
    pol, source = as_policy(policy)
    s = registry_store(store)
    cand = resolve_model(model_ref, version, store=s)
    if isinstance(s, RemoteRules):  # one request: the server checks against its own records
        return s.run_gate(
            cand.name,
            cand.version,
            pol.canonical(),
            policy_file=source or policy_file,
            decision_id=decision_id,
        )
    ctx = GateContext(s, cand)
    # Age rules look at the evaluations the other rules used, so they are checked last.
    order = sorted(range(len(pol.rules)), key=lambda i: isinstance(pol.rules[i], EvaluationAgeRule))
    results = {i: check_rule(i, pol.rules[i], ctx) for i in order}
    ordered = [results[i] for i in range(len(pol.rules))]
    decision = GateDecision(
        id=decision_id or new_id(),
        policy_name=pol.name,
        policy_digest=pol.digest,
        policy=pol.canonical(),
        policy_file=source or policy_file,
        model_name=cand.name,
        model_version=cand.version,
        model_digest=cand.digest,
        verdict="pass" if all(r.passed for r in ordered) else "fail",
        results=ordered,
        incumbents=dict(ctx.incumbents),
        created_at=ctx.now,
        actor=current_actor(actor),
    )
    return s.write_decision(decision) or decision
