"""``gate``: a Prefect task that checks a promotion gate, returns the verdict or raises.

    from trackline.prefect import gate

    @flow
    def release():
        ref = train()
        evaluate(ref)
        decision = gate("churn", policy="policies/churn.yaml", version=ref, promote_to="production")

With ``raise_on_fail=True`` (default) a failing verdict raises ``GateFailed`` and the task fails;
with ``False`` the task returns the failing summary and the flow decides.
"""

from __future__ import annotations

from prefect import task

from ...gates.enforce import enforce_gate

__all__ = ["gate"]


@task(name="trackline-gate", retries=0)
def gate(
    model: str,
    policy: str,
    version: int | str | None = None,
    *,
    promote_to: str | None = None,
    raise_on_fail: bool = True,
    actor: str | None = None,
) -> dict:
    """Check ``policy`` against the model version; on pass, optionally move ``promote_to``."""
    outcome = enforce_gate(
        model, policy, version, promote_to=promote_to, raise_on_fail=raise_on_fail, actor=actor
    )
    return outcome.summary()
