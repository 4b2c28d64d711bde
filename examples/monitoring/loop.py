"""The monitoring loop in plain Python: train, score production batches, one with a shift.

    python examples/monitoring/loop.py            # records into $TRACKLINE_STORE / ~/.trackline
    trackline drift task:train_churn/features task:score_batch/batch@last
    trackline monitor run --policy examples/monitoring/policy-dry-run.yaml

The policies next to this file start a retraining in Airflow (policy-airflow.yaml) or Prefect
(policy-prefect.yaml); policy-dry-run.yaml only records what it would do.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import trackline

PLANS = np.array(["basic", "plus", "pro"])


def customers(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Synthetic churn features; ``shift`` moves tenure and usage and brings in a new plan."""
    rng = np.random.default_rng(seed)
    plan = PLANS[rng.integers(0, 3, n)].astype(object)
    if shift:
        plan[rng.random(n) < 0.3] = "student"  # a plan the model never saw
    return pd.DataFrame(
        {
            "tenure_months": rng.gamma(2.0, 12.0 * (1 + shift), n),
            "monthly_usage": rng.normal(50 + 20 * shift, 10, n),
            "support_calls": rng.poisson(1 + shift, n),
            "plan": plan,
        }
    )


@trackline.tracked_task(name="train_churn")
def train_churn(features: pd.DataFrame) -> dict:
    trackline.log_metric("auc", 0.91)
    return {"rows": len(features)}


@trackline.tracked_task(name="score_batch")
def score_batch(batch: pd.DataFrame) -> int:
    return int((batch["support_calls"] > 2).sum())


def main(shift: float) -> None:
    train_churn(customers(50_000, seed=1))
    score_batch(customers(5_000, seed=2))
    score_batch(customers(5_000, seed=3))
    score_batch(customers(5_000, seed=4, shift=shift))  # today's batch
    report = trackline.check_drift("task:train_churn/features", "task:score_batch/batch@last")
    print(f"drifted: {report.drifted} (share {report.share:.2f}); report {report.id[:12]}")
    for col in report.columns:
        print(
            f"  {col.column:15s} {col.method:15s} {col.score:.4f}  {'DRIFT' if col.drifted else ''}"
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5)
