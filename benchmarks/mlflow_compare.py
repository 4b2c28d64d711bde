"""One tracked run with 5 params + 5 metrics: trackline against MLflow 3, both on SQLite.

Runs in the benchmark's own environment (``benchmarks/run.sh`` installs mlflow there only).
Store initialisation is measured separately from the per-run cost.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time

from _common import report, workdir

PARAMS = {"lr": 0.01, "depth": 6, "optimizer": "adam", "dropout": 0.1, "seed": 42}


def _time_runs(fn, n: int) -> float:
    fn(-1)
    samples = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def trackline_side(n: int) -> tuple[float, float, float]:
    home = workdir() / "cmp-trackline"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    t = time.perf_counter()
    import trackline

    trackline.connect().runs(limit=1)  # creates the store
    init = time.perf_counter() - t

    @trackline.tracked_task(name="train")
    def train(lr, depth, optimizer, dropout, seed, i):
        trackline.log_metrics({"acc": 0.9, "f1": 0.8, "loss": 0.1, "auc": 0.95, "step": float(i)})

    store = trackline.connect().store
    median = _time_runs(lambda i: train(**PARAMS, i=i), n)
    store.flush()
    t = time.perf_counter()  # the mean including delivery: n runs, then until all are stored
    for i in range(n):
        train(**PARAMS, i=n + i)
    store.flush()
    return median, init, (time.perf_counter() - t) / n * 1000


def mlflow_side(n: int) -> tuple[float, float]:
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow

    d = workdir() / "cmp-mlflow"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    t = time.perf_counter()
    mlflow.set_tracking_uri(f"sqlite:///{d / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    init = time.perf_counter() - t

    def one(i: int) -> None:
        with mlflow.start_run():
            mlflow.log_params({**PARAMS, "i": i})
            mlflow.log_metrics({"acc": 0.9, "f1": 0.8, "loss": 0.1, "auc": 0.95, "step": float(i)})

    return _time_runs(one, n), init


def main(n: int = 200) -> None:
    tl, tl_init, tl_all = trackline_side(n)
    try:
        ml, ml_init = mlflow_side(n // 4)
    except ImportError:
        report(
            "trackline run, 5 params + 5 metrics (median)", tl, "ms", note="mlflow not installed"
        )
        return
    import mlflow

    report(
        "trackline run, 5 params + 5 metrics, SQLite (median)",
        tl,
        "ms",
        f"MLflow {mlflow.__version__} run, same, SQLite",
        ml,
        note=f"{ml / tl:.0f}x cheaper",
        aim=">= 150x cheaper",
        met=ml / tl >= 150,
    )
    report(
        "  same, trackline mean per run incl. delivery to SQLite",
        tl_all,
        "ms",
        f"MLflow {mlflow.__version__} run, same, SQLite",
        ml,
        note=f"{ml / tl_all:.0f}x cheaper",
    )
    report(
        "store initialisation, trackline",
        tl_init * 1000,
        "ms",
        f"MLflow {mlflow.__version__}",
        ml_init * 1000,
    )


if __name__ == "__main__":
    main()
