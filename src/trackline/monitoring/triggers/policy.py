"""Trigger policies: YAML files validated with pydantic, every error pointing at its field.

```yaml
name: churn-retraining
cooldown: 6h                 # default for every rule: at most one firing per rule per 6 hours
rules:
  - name: feature-drift
    when:
      drift:
        reference: task:train/features@last
        current: task:score/batch@last
        share: 0.3           # optional: overrides the dataset share threshold
        columns: [age]       # optional: fire only when one of these columns drifted
    action:
      type: airflow_dag_run  # | airflow_asset_event | prefect_deployment | prefect_event | webhook
      url: http://127.0.0.1:8080
      dag_id: retrain
      username: admin
      password_env: AIRFLOW_PASSWORD
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ...validation import read_yaml, validate
from ..drift import DriftConfig

__all__ = ["Rule", "TriggerPolicy", "load_policy", "parse_duration", "parse_policy"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"6h"``, ``"1d"``, ``"2w"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like 15m, 6h, 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not a duration: use seconds or text like 15m, 6h, 1d")
        seconds = float(m.group(1)) * _SECONDS[m.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DriftCondition(_Strict):
    reference: str = Field(min_length=1)
    current: str = Field(min_length=1)
    share: float | None = Field(default=None, gt=0, le=1)
    columns: list[str] | None = None
    config: DriftConfig = Field(default_factory=DriftConfig)

    def drift_config(self) -> DriftConfig:
        if self.share is None:
            return self.config
        return self.config.model_copy(update={"share": self.share})


class DegradationCondition(_Strict):
    """Recent metric values against the baseline evaluation (see ``monitoring.degradation``).

    Either a registered ``model`` (``churn@production``, ``churn/3``): its evaluations up to its
    promotion are the baseline, later ones (re-evaluations, production metrics) the current side;
    or explicit ``baseline`` / ``current`` sources (``task:NAME@WINDOW``; a number as baseline).
    """

    metric: str = Field(min_length=1)
    model: str | None = None
    dataset: str | None = None  # model mode: only evaluations on this dataset (name) count
    window: str = "last"  # model mode: which later evaluations: last, last:N, SINCE..UNTIL
    baseline: str | float | None = None
    current: str | None = None
    higher_is_better: bool = True
    absolute: float | None = Field(default=None, ge=0)  # worse by more than this many units
    relative: float | None = Field(default=None, ge=0)  # worse by more than this fraction
    sigmas: float | None = Field(default=None, gt=0)  # worse by more than k × baseline spread

    @model_validator(mode="after")
    def _sources_and_threshold(self):
        if self.model is None and (self.baseline is None or self.current is None):
            raise ValueError("give a model (e.g. churn@production), or both baseline and current")
        if self.absolute is None and self.relative is None and self.sigmas is None:
            raise ValueError("give at least one threshold: absolute, relative or sigmas")
        return self


class When(_Strict):
    drift: DriftCondition | None = None
    degradation: DegradationCondition | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.drift is None) == (self.degradation is None):
            raise ValueError("'when' needs exactly one of: drift, degradation")
        return self


class _Http(_Strict):
    url: str = Field(min_length=1)
    timeout: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v.rstrip("/")


class _AirflowAuth(_Http):
    username: str | None = None
    password: str | None = None
    password_env: str | None = None  # read the password from this environment variable
    token_env: str | None = None  # or a ready JWT from this environment variable


class AirflowDagRun(_AirflowAuth):
    type: Literal["airflow_dag_run"]
    dag_id: str = Field(min_length=1)
    conf: dict[str, Any] = Field(default_factory=dict)


class AirflowAssetEvent(_AirflowAuth):
    type: Literal["airflow_asset_event"]
    asset_id: int | None = None
    asset_uri: str | None = None
    asset_name: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _which_asset(self):
        if sum(v is not None for v in (self.asset_id, self.asset_uri, self.asset_name)) != 1:
            raise ValueError("give exactly one of asset_id, asset_uri, asset_name")
        return self


class PrefectDeployment(_Strict):
    type: Literal["prefect_deployment"]
    deployment: str = Field(pattern=r"^[^/]+/[^/]+$", description="flow-name/deployment-name")
    parameters: dict[str, Any] = Field(default_factory=dict)
    evidence_parameter: str | None = None  # pass reason + evidence as this flow parameter
    api_url: str | None = None  # default: the PREFECT_API_URL in force


class PrefectEvent(_Strict):
    type: Literal["prefect_event"]
    event: str = Field(default="trackline.retraining.requested", min_length=1)
    resource_id: str = Field(default="trackline.monitor", min_length=1)
    api_url: str | None = None


class Webhook(_Http):
    type: Literal["webhook"]
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)


Action = Annotated[
    AirflowDagRun | AirflowAssetEvent | PrefectDeployment | PrefectEvent | Webhook,
    Field(discriminator="type"),
]


class Rule(_Strict):
    name: str
    when: When
    action: Action
    cooldown: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                "use letters, digits, '_', '.', '-' (at most 128, starting alphanumeric)"
            )
        return v

    @field_validator("cooldown", mode="before")
    @classmethod
    def _cooldown(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)


class TriggerPolicy(_Strict):
    name: str
    cooldown: float = 0.0
    dry_run: bool = False
    rules: list[Rule] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return Rule._name(v)

    @field_validator("cooldown", mode="before")
    @classmethod
    def _cooldown(cls, v: Any) -> float:
        return parse_duration(v)

    @model_validator(mode="after")
    def _unique_rules(self):
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}: rule names must be unique")
            seen.add(rule.name)
        return self

    def cooldown_of(self, rule: Rule) -> float:
        return self.cooldown if rule.cooldown is None else rule.cooldown


_ACTION_TAGS = (
    "airflow_dag_run",
    "airflow_asset_event",
    "prefect_deployment",
    "prefect_event",
    "webhook",
)


def _label(rule: Any) -> str | None:
    return rule.get("name") if isinstance(rule, dict) else None


def parse_policy(data: Any, source: str = "policy") -> TriggerPolicy:
    return validate(TriggerPolicy, data, source, "trigger policy", label=_label, tags=_ACTION_TAGS)


def load_policy(path: str | Path) -> TriggerPolicy:
    return parse_policy(read_yaml(path, "trigger policy"), str(Path(path)))
