"""Evaluate a trigger policy once: check each rule's condition and act at most once per episode.

An *episode* is a stretch of evaluations in which a rule's condition holds. The evaluation that
sees the condition first opens the episode (a compare-and-set in the store, so two monitors
racing open it once); the episode's single firing is claimed by its idempotency key
``policy/rule/episode`` before the action runs. When the condition clears, the episode closes
and the next breach starts a new one. A cooldown delays a new episode's firing while the rule
fired recently; the episode stays open and fires once the cooldown has passed. A dry run opens
nothing and claims nothing: it records what it would have done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from ...errors import InvalidInput, TracklineError
from ...model.monitoring import TriggerFiring
from ...model.runs import utcnow
from ...store import StoreArg
from .actions import perform
from .policy import Rule, TriggerPolicy

__all__ = ["RuleOutcome", "audit_firing", "evaluate_policy", "run_policy"]

log = logging.getLogger("trackline")


class RuleOutcome(BaseModel):
    rule: str
    condition: bool | None  # None: the condition could not be evaluated
    status: str  # clear | fired | failed | dry_run | already_fired | cooldown | error
    message: str = ""
    episode: str | None = None
    firing: TriggerFiring | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


def evaluate_policy(
    policy: TriggerPolicy,
    *,
    store: StoreArg = None,
    dry_run: bool | None = None,
    now: datetime | None = None,
) -> list[RuleOutcome]:
    from ...model.ids import new_id
    from ...store import get_store
    from ..check import monitoring_store

    base = store or get_store()
    mstore = monitoring_store(base)
    dry = policy.dry_run if dry_run is None else dry_run
    outcomes = []
    for rule in policy.rules:
        try:
            met, evidence = _condition(rule, base)
        except TracklineError as exc:
            outcomes.append(
                RuleOutcome(rule=rule.name, condition=None, status="error", message=str(exc))
            )
            continue
        outcomes.append(_decide(policy, rule, met, evidence, mstore, dry, now or utcnow(), new_id))
    return outcomes


def _condition(rule: Rule, store: StoreArg) -> tuple[bool, dict[str, Any]]:
    if rule.when.drift is not None:
        from ..check import check_drift

        cond = rule.when.drift
        report = check_drift(cond.reference, cond.current, config=cond.drift_config(), store=store)
        drifted_cols = [c for c in report.columns if c.drifted]
        unknown = set(cond.columns or ()) - {c.column for c in report.columns}
        if unknown:
            raise InvalidInput(
                f"rule {rule.name!r} watches columns the data does not have: "
                f"{', '.join(sorted(unknown))}"
            )
        if cond.columns:
            watched = [c for c in drifted_cols if c.column in cond.columns]
            met = bool(watched)
        else:
            watched, met = drifted_cols, report.drifted
        return met, {
            "kind": "drift",
            "drift_report": report.id,
            "report_digest": report.report_digest,
            "check_run": report.run_id,
            "share": report.share,
            "share_threshold": report.share_threshold,
            "reference": report.reference.model_dump(mode="json"),
            "current": report.current.model_dump(mode="json"),
            "drifted_columns": [
                {
                    "column": c.column,
                    "method": c.method,
                    "score": c.score,
                    "bound": c.bound,
                    "threshold": c.threshold,
                }
                for c in watched
            ],
        }
    from ..degradation import check_degradation

    result = check_degradation(rule.when.degradation, store=store)
    return result.degraded, {"kind": "degradation", **result.model_dump(mode="json")}


def _reason(rule: Rule, evidence: dict[str, Any]) -> str:
    if evidence.get("kind") == "drift":
        cols = ", ".join(c["column"] for c in evidence["drifted_columns"]) or "none"
        return (
            f"data drift: share {evidence['share']:.2f} of columns drifted "
            f"(threshold {evidence['share_threshold']:.2f}); columns: {cols}"
        )
    return f"metric degradation: {evidence.get('message', '')}"


def _decide(
    policy: TriggerPolicy,
    rule: Rule,
    met: bool,
    evidence: dict[str, Any],
    mstore: Any,
    dry: bool,
    now: datetime,
    new_id,
) -> RuleOutcome:
    key = f"{policy.name}/{rule.name}"
    if not met:
        if not dry and mstore.close_episode(key, now):
            return RuleOutcome(
                rule=rule.name,
                condition=False,
                status="clear",
                message="condition cleared: episode closed",
                evidence=evidence,
            )
        return RuleOutcome(rule=rule.name, condition=False, status="clear", evidence=evidence)
    reason = _reason(rule, evidence)
    if dry:
        episode = mstore.current_episode(key) or "dry-run"
        firing = TriggerFiring(
            id=new_id(),
            key=f"dry-run/{key}/{new_id()}",
            policy=policy.name,
            rule=rule.name,
            episode=episode,
            status="dry_run",
            action=rule.action.model_dump(mode="json", exclude={"password"}),
            evidence=evidence,
            finished_at=now,
        )
        mstore.finish_firing(firing)
        audit_firing(mstore, firing)
        return RuleOutcome(
            rule=rule.name,
            condition=True,
            status="dry_run",
            episode=episode,
            firing=firing,
            evidence=evidence,
            message=f"would run {rule.action.type}: {reason}",
        )
    episode = new_id()
    if not mstore.open_episode(key, episode, now):
        episode = mstore.current_episode(key) or episode
    fkey = f"{key}/{episode}"
    done = mstore.get_firing(fkey)
    if done is not None and done.status != "failed":
        return RuleOutcome(
            rule=rule.name,
            condition=True,
            status="already_fired",
            episode=episode,
            firing=done,
            evidence=evidence,
            message=f"this episode already fired at {done.created_at.isoformat()}",
        )
    cooldown = policy.cooldown_of(rule)
    last = mstore.last_firing(policy.name, rule.name) if cooldown else None
    if last is not None and last.created_at > now - timedelta(seconds=cooldown):
        until = last.created_at + timedelta(seconds=cooldown)
        return RuleOutcome(
            rule=rule.name,
            condition=True,
            status="cooldown",
            episode=episode,
            evidence=evidence,
            message=f"cooling down until {until.isoformat()}",
        )
    firing = TriggerFiring(
        id=new_id(),
        key=fkey,
        policy=policy.name,
        rule=rule.name,
        episode=episode,
        action=rule.action.model_dump(mode="json", exclude={"password"}),
        evidence=evidence,
        created_at=now,
    )
    if not mstore.claim_firing(firing):
        return RuleOutcome(
            rule=rule.name,
            condition=True,
            status="already_fired",
            episode=episode,
            evidence=evidence,
            message="another evaluation fired this episode",
        )
    payload = {
        "source": "trackline",
        "policy": policy.name,
        "rule": rule.name,
        "episode": episode,
        "idempotency_key": fkey,
        "firing_id": firing.id,
        "reason": reason,
        "evidence": evidence,
    }
    try:
        firing.started = perform(rule.action, payload, fkey)
        firing.status = "fired"
    except TracklineError as exc:
        firing.status, firing.error = "failed", str(exc)
        log.warning("trackline: trigger %s failed: %s", fkey, exc)
    firing.finished_at = utcnow()
    mstore.finish_firing(firing)
    audit_firing(mstore, firing)
    return RuleOutcome(
        rule=rule.name,
        condition=True,
        status=firing.status,
        episode=episode,
        firing=firing,
        evidence=evidence,
        message=firing.error or f"started {rule.action.type}: {reason}",
    )


def audit_firing(store: StoreArg, firing: TriggerFiring, actor: str | None = None) -> None:
    """Append the firing to the hash-chained audit log (stores with a registry have one). A store
    whose ``finish_firing`` appends the entry itself (the team server, through ``HttpStore``,
    with the token's name as actor) is left alone."""
    from ...store.protocols import RegistryStore

    if getattr(store, "audits_firings", False) or not isinstance(store, RegistryStore):
        return
    from ...audit.actor import current_actor

    ev = firing.evidence
    model, version = None, None
    if (
        ev.get("kind") == "degradation"
        and isinstance(ev.get("baseline"), dict)
        and ev["baseline"].get("model")
    ):
        model, _, v = ev["baseline"]["model"].rpartition("/")
        version = int(v) if v.isdigit() else None
    try:
        store.append_audit(
            f"trigger.{firing.status}",
            actor=current_actor(actor),
            model=model or None,
            version=version,
            data={
                "policy": firing.policy,
                "rule": firing.rule,
                "episode": firing.episode,
                "key": firing.key,
                "firing_id": firing.id,
                "action": firing.action.get("type"),
                "started": firing.started,
                "error": firing.error,
                "drift_report": ev.get("drift_report"),
            },
        )
    except Exception as exc:  # noqa: BLE001 - the firing itself is recorded; the log is a copy
        log.warning("trackline: could not audit-log firing %s: %s", firing.key, exc)


def run_policy(
    policy: TriggerPolicy | str,
    *,
    dry_run: bool | None = None,
    store: StoreArg = None,
    fail_on_error: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate a policy (object or YAML path) as an orchestrator task: returns JSON-able outcomes
    (an XCom / a Prefect result) and, with ``fail_on_error``, raises when a condition could not be
    evaluated or an action failed, so the task shows up failed where people look."""
    from .policy import load_policy

    loaded = load_policy(policy) if isinstance(policy, str) else policy
    outcomes = evaluate_policy(loaded, store=store, dry_run=dry_run)
    bad = [o for o in outcomes if o.status in ("error", "failed")]
    if bad and fail_on_error:
        raise TracklineError("; ".join(f"rule {o.rule} {o.status}: {o.message}" for o in bad))
    return [
        o.model_dump(mode="json", exclude={"evidence"}) | {"reason": o.message} for o in outcomes
    ]
