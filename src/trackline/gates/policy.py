"""Gate policies: a YAML file validated into typed rules, with errors that name file, rule and
field.

```yaml
name: churn-production
rules:
  - metric: accuracy
    dataset: holdout
    min: 0.85
  - metric: f1
    dataset: holdout
    compare_to: production
    max_regression: 0.01
  - require_lineage: true
  - max_evaluation_age: 7d
```
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from ..model.canonical import canonical_json, sha256_bytes
from ..validation import read_yaml, validate
from .durations import parse_duration

__all__ = [
    "Policy",
    "MetricRule",
    "LineageRule",
    "EvaluationAgeRule",
    "EvaluationRule",
    "Rule",
    "load_policy",
    "parse_policy",
]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRule(_Rule):
    """A threshold on an evaluation metric, and/or no worse than the version an alias points at."""

    metric: str = Field(min_length=1)
    dataset: str = Field(min_length=1, description="dataset name or digest of the evaluation")
    min: float | None = None
    max: float | None = None
    compare_to: str | None = Field(default=None, min_length=1)
    max_regression: float | None = Field(default=None, ge=0)
    max_regression_pct: float | None = Field(default=None, ge=0)
    higher_is_better: bool = True
    slice: str | None = Field(default=None, min_length=1)
    slices: Literal["all"] | list[str] | None = None

    @field_validator("min", "max", "max_regression", "max_regression_pct")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> MetricRule:
        if self.compare_to is None and (
            self.max_regression is not None or self.max_regression_pct is not None
        ):
            raise ValueError(
                "max_regression/max_regression_pct need compare_to (the alias to compare with)"
            )
        if self.min is None and self.max is None and self.compare_to is None:
            raise ValueError("a metric rule needs min, max or compare_to")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"min ({self.min}) is greater than max ({self.max}): no value can pass"
            )
        if self.slice is not None and self.slices is not None:
            raise ValueError("give slice (one slice) or slices (several), not both")
        if self.slices is not None and self.compare_to is not None:
            raise ValueError(
                "compare_to works on one value: use slice: NAME for a per-slice comparison"
            )
        if isinstance(self.slices, list) and not self.slices:
            raise ValueError("slices is an empty list: name slices or write slices: all")
        if self.compare_to is not None and (
            self.compare_to.isdigit() or self.compare_to == "latest"
        ):
            raise ValueError(
                f"compare_to names an alias (like production), not {self.compare_to!r}"
            )
        return self

    def describe(self) -> str:
        target = (
            f"{self.metric}"
            + (f"[{self.slice}]" if self.slice else "")
            + (
                " (slices: "
                + (self.slices if isinstance(self.slices, str) else ", ".join(self.slices))
                + ")"
                if self.slices
                else ""
            )
            + f" on {self.dataset}"
        )
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.compare_to is not None:
            allowance = []
            if self.max_regression is not None:
                allowance.append(f"{self.max_regression:g}")
            if self.max_regression_pct is not None:
                allowance.append(f"{self.max_regression_pct:g}%")
            worse = "below" if self.higher_is_better else "above"
            parts.append(f"at most {' and '.join(allowance) or '0'} {worse} @{self.compare_to}")
        return f"{target} {', '.join(parts)}"


class LineageRequirement(_Rule):
    data: bool = True
    code: bool = True


class LineageRule(_Rule):
    """The model's producing run is recorded, with its training data and code."""

    require_lineage: bool | LineageRequirement

    def requirement(self) -> LineageRequirement | None:
        if self.require_lineage is False:
            return None
        return (
            self.require_lineage
            if isinstance(self.require_lineage, LineageRequirement)
            else LineageRequirement()
        )

    def describe(self) -> str:
        req = self.requirement()
        if req is None:
            return "lineage not required"
        what = [w for w, on in (("training data", req.data), ("code", req.code)) if on]
        return "lineage recorded: producing run" + (f" with {' and '.join(what)}" if what else "")


class EvaluationAgeRule(_Rule):
    """The evaluations the gate relies on are recent enough."""

    max_evaluation_age: str | int | float
    dataset: str | None = Field(default=None, min_length=1)

    @field_validator("max_evaluation_age")
    @classmethod
    def _duration(cls, v: str | int | float) -> str | int | float:
        parse_duration(v)
        return v

    @property
    def seconds(self) -> float:
        return parse_duration(self.max_evaluation_age).total_seconds()

    def describe(self) -> str:
        on = f" on {self.dataset}" if self.dataset else ""
        return f"evaluations{on} younger than {self.max_evaluation_age}"


class EvaluationRule(_Rule):
    """An evaluation of the candidate on this dataset exists."""

    require_evaluation: str = Field(min_length=1)

    def describe(self) -> str:
        return f"evaluated on {self.require_evaluation}"


_KINDS = {
    "metric": "metric",
    "require_lineage": "lineage",
    "max_evaluation_age": "evaluation_age",
    "require_evaluation": "evaluation",
}


def _rule_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {
            MetricRule: "metric",
            LineageRule: "lineage",
            EvaluationAgeRule: "evaluation_age",
            EvaluationRule: "evaluation",
        }.get(type(value))
    if not isinstance(value, dict):
        return None
    found = [kind for key, kind in _KINDS.items() if key in value]
    return found[0] if len(found) == 1 else None


Rule = Annotated[
    Annotated[MetricRule, Tag("metric")]
    | Annotated[LineageRule, Tag("lineage")]
    | Annotated[EvaluationAgeRule, Tag("evaluation_age")]
    | Annotated[EvaluationRule, Tag("evaluation")],
    Discriminator(
        _rule_kind,
        custom_error_type="unknown_rule",
        custom_error_message="each rule needs exactly one of: metric, require_lineage, "
        "max_evaluation_age, require_evaluation",
    ),
]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    rules: list[Rule] = Field(min_length=1)

    @property
    def digest(self) -> str:
        """Of the validated policy, so comments and formatting do not change it."""
        return sha256_bytes(canonical_json(self.canonical()).encode())

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _label(rule: Any) -> str | None:
    kind = _rule_kind(rule)
    return f"{kind.replace('_', ' ')} rule" if kind else None


def parse_policy(data: Any, source: str = "<policy>") -> Policy:
    rules = data.get("rules") if isinstance(data, dict) else None
    rules = rules if isinstance(rules, list) else []

    def label(rule: Any) -> str | None:
        # Numbered from 1, as ``gate check`` and ``gate validate`` number rules.
        n = next((i for i, r in enumerate(rules) if r is rule), None)
        parts = [f"rule {n + 1}" if n is not None else None, _label(rule)]
        return ", ".join(p for p in parts if p) or None

    return validate(Policy, data, source, "gate policy", label=label, tags=_KINDS.values())


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; every problem raises ``ConfigError`` naming the file."""
    return parse_policy(read_yaml(path, "policy"), str(Path(path)))
