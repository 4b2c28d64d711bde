"""``PromotionGateOperator``: an Airflow task that checks a promotion gate (and may promote).

    gate = PromotionGateOperator(
        task_id="gate", model="churn", version="{{ ti.xcom_pull('train') }}",
        policy="/opt/policies/churn.yaml", promote_to="production", on_fail="skip")
    train >> evaluate >> gate >> deploy

A failing verdict fails the task (``on_fail="fail"``, no retries: the record will not change by
retrying) or skips it, which skips the downstream deploy tasks (``on_fail="skip"``). The decision is
recorded either way and its summary is the task's return value (XCom).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from ...gates.enforce import enforce_gate

__all__ = ["PromotionGateOperator"]


class PromotionGateOperator(BaseOperator):
    template_fields: Sequence[str] = ("model", "version", "policy", "promote_to")
    ui_color = "#f3e6c4"

    def __init__(
        self,
        *,
        model: str,
        policy: str,
        version: int | str | None = None,
        promote_to: str | None = None,
        on_fail: str = "fail",
        actor: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_fail not in ("fail", "skip"):
            raise ValueError(f"on_fail must be 'fail' or 'skip', not {on_fail!r}")
        self.model = model
        self.version = version
        self.policy = policy
        self.promote_to = promote_to
        self.on_fail = on_fail
        self.actor = actor

    def execute(self, context: Any) -> dict:
        version = self.version
        if isinstance(version, str) and version.strip() in ("", "None"):
            version = None  # an empty template renders as "" or "None"
        outcome = enforce_gate(
            self.model,
            self.policy,
            version,
            promote_to=self.promote_to or None,
            raise_on_fail=False,
            actor=self.actor,
        )
        summary = outcome.summary()
        if not outcome.passed:
            message = (
                f"promotion gate {summary['policy']!r} failed for {summary['model']}/"
                f"{summary['version']} (decision {summary['decision_id']}): "
                + "; ".join(summary["failed_rules"])
            )
            context["ti"].xcom_push(key="decision", value=summary)
            if self.on_fail == "skip":
                raise AirflowSkipException(message)
            raise AirflowFailException(message)
        return summary
