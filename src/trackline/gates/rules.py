"""Each rule kind checked against the record: a ``RuleResult`` with observed values and evidence."""

from __future__ import annotations

from ..errors import NotFound
from ..model.registry import Evaluation, RuleResult
from ..model.runs import RunStatus
from .context import GateContext, matches_dataset
from .policy import EvaluationAgeRule, EvaluationRule, LineageRule, MetricRule

__all__ = ["check_rule"]


def _result(
    index: int, kind: str, rule, passed: bool, message: str, observed=None, evidence=None
) -> RuleResult:
    return RuleResult(
        index=index,
        kind=kind,
        rule=rule.describe(),
        passed=passed,
        message=message,
        observed=observed or {},
        evidence=evidence or [],
    )


def _value(ev: Evaluation, metric: str, slice_: str | None) -> float | None:
    source = ev.slices.get(slice_, {}) if slice_ else ev.metrics
    return source.get(metric)


def _bounds(rule: MetricRule, value: float) -> str | None:
    """Why ``value`` breaks min/max, or None."""
    if rule.min is not None and value < rule.min:
        return f"{value:g} < min {rule.min:g}"
    if rule.max is not None and value > rule.max:
        return f"{value:g} > max {rule.max:g}"
    return None


def _metric(i: int, rule: MetricRule, ctx: GateContext) -> RuleResult:
    cand = ctx.candidate
    ev = ctx.latest(cand.digest, rule.dataset)
    if ev is None:
        return _result(
            i, "metric", rule, False, f"{cand.ref} has no evaluation on dataset {rule.dataset!r}"
        )
    ctx.use(ev)
    observed: dict = {
        "dataset": ev.dataset_name,
        "dataset_digest": ev.dataset_digest,
        "evaluated_at": ev.created_at.isoformat(),
    }
    evidence = [ev.id]
    if rule.slices is not None:
        wanted = sorted(ev.slices) if rule.slices == "all" else list(rule.slices)
        if not wanted:
            return _result(
                i,
                "metric",
                rule,
                False,
                f"evaluation {ev.id[:12]} has no slices",
                observed,
                evidence,
            )
        values, problems = {}, []
        for name in wanted:
            v = _value(ev, rule.metric, name)
            values[name] = v
            if v is None:
                problems.append(f"slice {name!r} has no {rule.metric}")
            elif (why := _bounds(rule, v)) is not None:
                problems.append(f"slice {name!r}: {why}")
        observed["slices"] = values
        if problems:
            return _result(i, "metric", rule, False, "; ".join(problems), observed, evidence)
        return _result(
            i,
            "metric",
            rule,
            True,
            f"all {len(wanted)} slices within bounds (lowest {min(values.values()):g})",
            observed,
            evidence,
        )
    value = _value(ev, rule.metric, rule.slice)
    where = f"slice {rule.slice!r} of " if rule.slice else ""
    if value is None:
        have = sorted(ev.slices.get(rule.slice, {}) if rule.slice else ev.metrics)
        return _result(
            i,
            "metric",
            rule,
            False,
            f"{where}evaluation {ev.id[:12]} has no metric {rule.metric!r} "
            f"(it has: {', '.join(have) or 'none'})",
            observed,
            evidence,
        )
    observed["value"] = value
    if (why := _bounds(rule, value)) is not None:
        return _result(i, "metric", rule, False, f"{rule.metric} {why}", observed, evidence)
    if rule.compare_to is None:
        return _result(i, "metric", rule, True, f"{rule.metric} = {value:g}", observed, evidence)
    return _compare(i, rule, ctx, ev, value, observed, evidence)


def _compare(
    i: int,
    rule: MetricRule,
    ctx: GateContext,
    ev: Evaluation,
    value: float,
    observed: dict,
    evidence: list[str],
) -> RuleResult:
    alias = rule.compare_to
    inc = ctx.incumbent(alias)
    if inc is None:
        observed["incumbent"] = None
        return _result(
            i,
            "metric",
            rule,
            True,
            f"{rule.metric} = {value:g}; @{alias} points at no version yet, so there is "
            "nothing to compare with (first promotion)",
            observed,
            evidence,
        )
    observed["incumbent"] = {"version": inc.version, "digest": inc.digest}
    if inc.digest == ctx.candidate.digest:
        return _result(
            i,
            "metric",
            rule,
            True,
            f"the candidate is the incumbent {inc.ref} (same digest)",
            observed,
            evidence,
        )
    inc_ev = ctx.latest_on_digest(inc.digest, ev.dataset_digest)
    if inc_ev is None:
        return _result(
            i,
            "metric",
            rule,
            False,
            f"incumbent {inc.ref} (@{alias}) has no evaluation on the same data "
            f"({ev.dataset_name or ev.dataset_digest[:12]}); evaluate it there to compare",
            observed,
            evidence,
        )
    evidence.append(inc_ev.id)
    inc_value = _value(inc_ev, rule.metric, rule.slice)
    if inc_value is None:
        return _result(
            i,
            "metric",
            rule,
            False,
            f"incumbent {inc.ref} was evaluated without {rule.metric!r}",
            observed,
            evidence,
        )
    observed["incumbent"]["value"] = inc_value
    allowances = []
    if rule.max_regression is not None:
        allowances.append(rule.max_regression)
    if rule.max_regression_pct is not None:
        allowances.append(abs(inc_value) * rule.max_regression_pct / 100)
    allowed = min(allowances) if allowances else 0.0  # both given: the stricter one holds
    sign = 1 if rule.higher_is_better else -1
    threshold = inc_value - sign * allowed
    observed["threshold"] = threshold
    regression = sign * (inc_value - value)
    observed["regression"] = regression
    ok = value >= threshold if rule.higher_is_better else value <= threshold
    verb = "within" if ok else "beyond"
    return _result(
        i,
        "metric",
        rule,
        ok,
        f"{rule.metric} {value:g} vs {inc_value:g} for {inc.ref} (@{alias}): "
        f"regression {regression:g} {verb} the allowed {allowed:g}",
        observed,
        evidence,
    )


def _lineage(i: int, rule: LineageRule, ctx: GateContext) -> RuleResult:
    req = rule.requirement()
    if req is None:
        return _result(i, "lineage", rule, True, "not required by this rule")
    cand = ctx.candidate
    if not cand.run_id:
        return _result(
            i,
            "lineage",
            rule,
            False,
            f"{cand.ref} has no producing run: no successful tracked run output these bytes"
            " (register it inside a tracked task, pass run=, or track the step that writes it)",
        )
    try:
        run = ctx.store.get_run(cand.run_id)
    except NotFound:
        return _result(
            i,
            "lineage",
            rule,
            False,
            f"the producing run {cand.run_id[:12]} is not in the store",
            {"run_id": cand.run_id},
            [cand.run_id],
        )
    graph = ctx.store.lineage(cand.digest, "upstream")
    data = sorted({n.id for n in graph.nodes if n.type == "artifact" and n.id != cand.digest})
    observed = {
        "run_id": run.id,
        "run_status": run.status,
        "upstream_artifacts": data,
        "code_digest": run.code_digest,
    }
    problems = []
    if run.status in (RunStatus.FAILED.value, RunStatus.CRASHED.value):
        problems.append(f"the producing run {run.id[:12]} {run.status}")
    if req.data and not data:
        problems.append("no training data is recorded upstream of the model")
    if req.code and not run.code_digest:
        problems.append("the producing run recorded no code digest")
    if problems:
        return _result(i, "lineage", rule, False, "; ".join(problems), observed, [run.id])
    return _result(
        i,
        "lineage",
        rule,
        True,
        f"produced by run {run.id[:12]} ({run.name}) from {len(data)} upstream artifact(s)",
        observed,
        [run.id],
    )


def _age(i: int, rule: EvaluationAgeRule, ctx: GateContext) -> RuleResult:
    if rule.dataset:  # the newest evaluation on that dataset
        pool = [
            e for e in ctx.evaluations(ctx.candidate.digest) if matches_dataset(e, rule.dataset)
        ][:1]
    elif ctx.used_evaluations:  # the evaluations the other rules relied on
        pool = list(ctx.used_evaluations.values())
    else:  # no other rule picked evaluations: the newest one per dataset counts
        newest: dict[str, Evaluation] = {}
        for e in ctx.evaluations(ctx.candidate.digest):
            newest.setdefault(e.dataset_digest, e)
        pool = list(newest.values())
    if not pool:
        where = f" on {rule.dataset!r}" if rule.dataset else ""
        return _result(
            i,
            "evaluation_age",
            rule,
            False,
            f"{ctx.candidate.ref} has no evaluation{where} to date",
        )
    ages = {e.id: (ctx.now - e.created_at).total_seconds() for e in pool}
    oldest = max(ages.values())
    observed = {"oldest_age_s": round(oldest, 3), "max_age_s": rule.seconds}
    stale = [eid for eid, age in ages.items() if age > rule.seconds]
    if stale:
        return _result(
            i,
            "evaluation_age",
            rule,
            False,
            f"{len(stale)} evaluation(s) older than {rule.max_evaluation_age} "
            f"(oldest {_human(oldest)}); re-evaluate the model",
            observed,
            sorted(ages),
        )
    return _result(
        i,
        "evaluation_age",
        rule,
        True,
        f"oldest evaluation used is {_human(oldest)} old",
        observed,
        sorted(ages),
    )


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def _evaluation(i: int, rule: EvaluationRule, ctx: GateContext) -> RuleResult:
    ev = ctx.latest(ctx.candidate.digest, rule.require_evaluation)
    if ev is None:
        return _result(
            i,
            "evaluation",
            rule,
            False,
            f"{ctx.candidate.ref} was never evaluated on {rule.require_evaluation!r}",
        )
    ctx.use(ev)
    return _result(
        i,
        "evaluation",
        rule,
        True,
        f"evaluation {ev.id[:12]} of {ev.created_at:%Y-%m-%d %H:%M}",
        {"dataset": ev.dataset_name, "dataset_digest": ev.dataset_digest},
        [ev.id],
    )


def check_rule(i: int, rule, ctx: GateContext) -> RuleResult:
    if isinstance(rule, MetricRule):
        return _metric(i, rule, ctx)
    if isinstance(rule, LineageRule):
        return _lineage(i, rule, ctx)
    if isinstance(rule, EvaluationAgeRule):
        return _age(i, rule, ctx)
    return _evaluation(i, rule, ctx)
