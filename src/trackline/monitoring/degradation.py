"""Metric degradation: recent values of a model's metric against its baseline evaluation.

With a registered ``model`` (``churn@production``, ``churn/3``) the sides come from the
registry's evaluations of that version's artifact: the baseline is every evaluation recorded up
to the moment the version was promoted (its newest alias move), the current side the evaluations
recorded after it (re-evaluations, production metrics) in ``window``; ``dataset`` narrows both
to evaluations on one dataset. Without a model, both sides are metric values of recorded task
runs: ``baseline`` is the evaluation the model was accepted on (``task:evaluate@last``) or a
plain number; ``current`` the production or re-evaluation runs of a window
(``task:monitor_eval@-7d..now``); each run contributes the last value it logged. Explicit
``baseline`` / ``current`` also override the model's sides. Three thresholds, any of which trips:

* ``absolute``: the metric got worse by more than this many units;
* ``relative``: worse by more than this fraction of the baseline;
* ``sigmas``: worse by more than k × the baseline's own spread (the standard deviation over
  the baseline runs, e.g. cross-validation folds or repeated evaluations) — "reference variation".
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from ..errors import InvalidInput, NotFound
from ..model.runs import RunQuery
from ..store import StoreArg
from .refs import parse_window

__all__ = ["DegradationResult", "check_degradation", "metric_values"]


class DegradationCheck(BaseModel):
    method: str
    threshold: float
    score: float | None
    tripped: bool


class DegradationResult(BaseModel):
    metric: str
    baseline: dict[str, Any]
    current: dict[str, Any]
    drop: float
    degraded: bool
    checks: list[DegradationCheck] = Field(default_factory=list)
    message: str = ""


def metric_values(ref: str, metric: str, store: StoreArg) -> list[dict[str, Any]]:
    """``[{"run", "at", "value"}]`` oldest first, for ``task:NAME@WINDOW`` (newest run:
    ``@last``)."""
    if not ref.startswith("task:"):
        raise InvalidInput(
            f"metric source {ref!r} must look like task:NAME@WINDOW (or be a number)"
        )
    name, _, window_text = ref[5:].partition("@")
    window = parse_window(window_text or None)
    if window[0] == "last":
        query = RunQuery(name=name, status="success", limit=window[1])
    else:
        query = RunQuery(
            name=name, status="success", since=window[1], until=window[2], limit=10_000
        )
    out = []
    for summary in store.list_runs(query):
        run = store.get_run(summary.id)
        points = [m for m in run.metrics if m.key == metric and math.isfinite(m.value)]
        if points:
            last = max(points, key=lambda m: (m.step if m.step is not None else -1, m.timestamp))
            out.append({"run": run.id, "at": run.started_at.isoformat(), "value": last.value})
    if not out:
        raise NotFound(f"no successful runs of task {name!r} logged metric {metric!r} in {ref!r}")
    return sorted(out, key=lambda p: p["at"])


def _side(ref: Any, metric: str, store: StoreArg) -> dict[str, Any]:
    if isinstance(ref, (int, float)) and not isinstance(ref, bool):
        return {"ref": ref, "value": float(ref), "spread": None, "points": []}
    return _summary(ref, metric_values(str(ref), metric, store))


def _summary(ref: Any, points: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    values = [p["value"] for p in points]
    mean = sum(values) / len(values)
    spread = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        if len(values) > 1
        else None
    )
    return {"ref": ref, "value": mean, "spread": spread, "points": points, **extra}


def _model_sides(condition: Any, store: StoreArg) -> tuple[dict[str, Any], dict[str, Any]]:
    """Baseline: evaluations up to the version's promotion; current: those after it."""
    from ..registry.models import resolve_model
    from ..registry.store import registry_store

    reg = registry_store(store)
    mv = resolve_model(condition.model, store=reg)
    moves = [
        e
        for e in reg.audit_entries(model=mv.name)
        if e.action == "alias.moved" and e.version == mv.version
    ]
    if not moves:
        raise InvalidInput(
            f"{mv.ref} was never promoted (no alias move in the audit log): give "
            "an explicit baseline"
        )
    promoted = moves[-1].at
    evals = [
        e
        for e in reg.list_evaluations(model_digest=mv.digest)
        if condition.metric in e.metrics
        and math.isfinite(e.metrics[condition.metric])
        and (condition.dataset is None or e.dataset_name == condition.dataset)
    ]
    evals.sort(key=lambda e: e.created_at)

    def point(e: Any) -> dict[str, Any]:
        return {
            "evaluation": e.id,
            "run": e.run_id,
            "dataset": e.dataset_name or e.dataset_digest[:12],
            "at": e.created_at.isoformat(),
            "value": e.metrics[condition.metric],
        }

    before = [point(e) for e in evals if e.created_at <= promoted]
    after = [e for e in evals if e.created_at > promoted]
    window = parse_window(condition.window)
    if window[0] == "last":
        after = after[-window[1] :]
    else:
        after = [
            e
            for e in after
            if (window[1] is None or e.created_at >= window[1])
            and (window[2] is None or e.created_at < window[2])
        ]
    where = f" on dataset {condition.dataset!r}" if condition.dataset else ""
    if not before:
        raise NotFound(
            f"{mv.ref} has no evaluation of {condition.metric!r}{where} before its promotion"
        )
    if not after:
        raise NotFound(
            f"{mv.ref} has no evaluation of {condition.metric!r}{where} after its promotion "
            f"at {promoted.isoformat()} in window {condition.window!r}"
        )
    extra = {"model": mv.ref, "digest": mv.digest, "promoted_at": promoted.isoformat()}
    return (
        _summary(f"{mv.ref} at promotion", before, **extra),
        _summary(
            f"{mv.ref} since promotion ({condition.window})", [point(e) for e in after], **extra
        ),
    )


def check_degradation(condition: Any, *, store: StoreArg = None) -> DegradationResult:
    """Evaluate a ``DegradationCondition`` (see ``triggers.policy``) against the store."""
    from ..store import get_store

    base = store or get_store()
    if condition.model is not None:
        baseline, current = _model_sides(condition, base)
        if condition.baseline is not None:
            baseline = _side(condition.baseline, condition.metric, base)
        if condition.current is not None:
            current = _side(condition.current, condition.metric, base)
    else:
        baseline = _side(condition.baseline, condition.metric, base)
        current = _side(condition.current, condition.metric, base)
    worse = baseline["value"] - current["value"]
    drop = worse if condition.higher_is_better else -worse
    checks = []
    if condition.absolute is not None:
        checks.append(
            DegradationCheck(
                method="absolute",
                threshold=condition.absolute,
                score=drop,
                tripped=drop > condition.absolute,
            )
        )
    if condition.relative is not None:
        rel = (
            drop / abs(baseline["value"]) if baseline["value"] else (math.inf if drop > 0 else 0.0)
        )
        checks.append(
            DegradationCheck(
                method="relative",
                threshold=condition.relative,
                score=rel,
                tripped=rel > condition.relative,
            )
        )
    if condition.sigmas is not None:
        spread = baseline["spread"]
        score = drop / spread if spread else None
        checks.append(
            DegradationCheck(
                method="sigmas",
                threshold=condition.sigmas,
                score=score,
                tripped=score is not None and score > condition.sigmas,
            )
        )
    degraded = any(c.tripped for c in checks)
    tripped = ", ".join(f"{c.method} {c.score:.4g} > {c.threshold:g}" for c in checks if c.tripped)
    message = (
        f"{condition.metric} {baseline['value']:.4g} → {current['value']:.4g} "
        f"({'worse' if drop > 0 else 'not worse'} by {abs(drop):.4g})"
        + (f": {tripped}" if tripped else "")
    )
    return DegradationResult(
        metric=condition.metric,
        baseline=baseline,
        current=current,
        drop=drop,
        degraded=degraded,
        checks=checks,
        message=message,
    )
