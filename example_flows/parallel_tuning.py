"""Hyper-parameter search fanned out with ``.map`` over Prefect's process-pool task runner.

Each candidate trains in its own worker process (CPU-bound scikit-learn work escapes the GIL);
``@tracked_task`` records every candidate with its parameters, metrics and resources, and the
flow's undecorated ``pick_best`` task is recorded from the Prefect API, linked to all of them.

    python example_flows/parallel_tuning.py
    trackline runs --name score_candidate
"""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

import trackline
from prefect import task
from trackline.prefect import tracked_flow, tracked_task


@task
@tracked_task
def score_candidate(n_estimators: int, max_depth: int, seed: int = 0) -> dict:
    x, y = load_breast_cancer(return_X_y=True)
    model = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=seed
    )
    scores = cross_val_score(model, x, y, cv=3)
    trackline.log_metric("cv_accuracy", float(scores.mean()))
    return {
        "n_estimators": n_estimators,
        "max_depth": max_depth,
        "cv_accuracy": float(scores.mean()),
    }


@task
def pick_best(results: list[dict]) -> dict:
    return max(results, key=lambda r: r["cv_accuracy"])


@tracked_flow(name="forest-tuning", task_runner=ProcessPoolTaskRunner(max_workers=2))
def parallel_tuning(n_estimators: list[int] = [10, 30], max_depth: list[int] = [2, 4]) -> dict:  # noqa: B006
    grid = [(n, d) for n in n_estimators for d in max_depth]
    futures = score_candidate.map([n for n, _ in grid], [d for _, d in grid])
    return pick_best(futures)


if __name__ == "__main__":
    print(parallel_tuning())
