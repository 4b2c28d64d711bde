"""Promotion gates: declarative policies checked against recorded evaluations and lineage, and
promotion, which moves an alias only on a passing decision."""

from .check import check_gate
from .durations import parse_duration
from .enforce import GateOutcome, enforce_gate
from .policy import Policy, load_policy, parse_policy
from .promotion import promote, refusal
from .render import decision_markdown, decision_text

__all__ = [
    "check_gate",
    "enforce_gate",
    "GateOutcome",
    "Policy",
    "load_policy",
    "parse_policy",
    "promote",
    "refusal",
    "parse_duration",
    "decision_markdown",
    "decision_text",
]
