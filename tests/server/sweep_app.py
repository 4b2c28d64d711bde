"""A hyper-parameter sweep recorded through whatever TRACKLINE_STORE points at (the UI tests'
fixture): ``python sweep_app.py N``. Prints every run's id, params and val_acc as JSON."""

from __future__ import annotations

import json
import math
import sys

import trackline
from trackline import log_metric, pipeline_run, tracked_task

LRS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
DEPTHS = [2, 4, 8]


@tracked_task
def fit(lr: float, depth: int, seed: int) -> float:
    # Peaks at lr = 0.01; the seed term makes every accuracy distinct, so "the best" is one run.
    acc = 0.5 + 0.4 * math.exp(-((math.log10(lr) + 2) ** 2)) + depth * 0.01 - seed * 1e-4
    for step in range(4):
        log_metric("sweep_loss", (1 - acc) * (4 - step), step=step)
    log_metric("val_acc", acc)
    return acc


def main() -> None:
    n = int(sys.argv[1])
    with pipeline_run("ui-sweep", size=n) as pipe:
        for i in range(n):
            fit(LRS[i % len(LRS)], DEPTHS[i % len(DEPTHS)], i)
    res = trackline.connect().search_runs(
        where=f"pipeline_run = '{pipe.id}'", columns="params.lr,metrics.val_acc", limit=1000
    )
    print(
        json.dumps(
            [
                {"id": r["id"], "lr": r["params"]["lr"], "acc": r["metrics"]["val_acc"]}
                for r in res.rows
            ]
        )
    )


if __name__ == "__main__":
    main()
