"""Dynamic task mapping recorded by trackline: one task run per map index.

A hyper-parameter sweep: ``train`` is mapped over regularisation strengths (``@task.tracked``),
``pick_best`` reduces the mapped results (each result links to it by digest), and a classic
``BashOperator`` mapped over shards is recorded by the listener alone.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task

from trackline import log_metric


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["trackline", "example"],
)
def trackline_mapped_sweep():
    @task.tracked
    def load():
        from sklearn.datasets import load_iris

        return load_iris(as_frame=True).frame

    @task.tracked
    def train(frame, C: float):
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_score

        x, y = frame.drop(columns=["target"]), frame["target"]
        score = float(cross_val_score(LogisticRegression(C=C, max_iter=300), x, y, cv=3).mean())
        log_metric("cv_accuracy", score)
        return {"C": C, "cv_accuracy": score}

    @task.tracked
    def pick_best(results):
        best = max(results, key=lambda r: r["cv_accuracy"])
        log_metric("best_cv_accuracy", best["cv_accuracy"])
        return best

    pick_best(train.partial(frame=load()).expand(C=[0.01, 0.1, 1.0]))
    BashOperator.partial(task_id="shard").expand(bash_command=[f"echo shard {i}" for i in range(3)])


mapped_sweep = trackline_mapped_sweep()
