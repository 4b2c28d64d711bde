"""Promotion gates: declarative policies checked against recorded evaluations and lineage."""

from .check import check_gate
from .durations import parse_duration
from .enforce import GateOutcome, enforce_gate
from .policy import Policy, load_policy, parse_policy
from .render import decision_markdown, decision_text

__all__ = [
    "check_gate",
    "enforce_gate",
    "GateOutcome",
    "Policy",
    "load_policy",
    "parse_policy",
    "parse_duration",
    "decision_markdown",
    "decision_text",
]
