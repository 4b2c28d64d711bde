"""Retraining triggers: policies, one-shot evaluation with episodes, cooldown and idempotency."""

from .engine import RuleOutcome, evaluate_policy, run_policy
from .policy import TriggerPolicy, load_policy, parse_policy

__all__ = [
    "RuleOutcome",
    "TriggerPolicy",
    "evaluate_policy",
    "load_policy",
    "parse_policy",
    "run_policy",
]
