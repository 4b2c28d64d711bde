"""One tracked run with 5 params + 5 metrics: trackline against MLflow 3, both on SQLite.

Runs in the benchmark's own environment (``benchmarks/run.sh`` installs mlflow there only).
Store initialisation is measured separately from the per-run cost.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time

from _common import ROUNDS, report, workdir

PARAMS = {"lr": 0.01, "depth": 6, "optimizer": "adam", "dropout": 0.1, "seed": 42}


def _time_runs(fn, n: int, start: int) -> float:
    """Median ms of ``n`` runs numbered from ``start``."""
    samples = []
    for i in range(start, start + n):
        t = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def trackline_side():
    """(one run, store initialisation s, flush)."""
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

    def one(i: int) -> None:
        train(**PARAMS, i=i)

    one(-1)
    store.flush()
    return one, init, store.flush


def mlflow_side():
    """(one run, store initialisation s)."""
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

    one(-1)
    return one, init


def main(n: int = 200) -> None:
    tl_one, tl_init, flush = trackline_side()
    try:
        ml_one, ml_init = mlflow_side()
    except ImportError:
        tl = min(_time_runs(tl_one, n, r * n) for r in range(ROUNDS))
        report(
            "trackline run, 5 params + 5 metrics (median)", tl, "ms", note="mlflow not installed"
        )
        return
    # Rounds alternate between the two, so both meet the machine in the same states; each
    # side's figure is its fastest round's median (see _common.ROUNDS).
    tl, ml = float("inf"), float("inf")
    for r in range(ROUNDS):
        tl = min(tl, _time_runs(tl_one, n, r * n))
        flush()  # the sender's work from this round does not run into MLflow's
        ml = min(ml, _time_runs(ml_one, n // 4, r * n))
    t = time.perf_counter()  # the mean including delivery: n runs, then until all are stored
    for i in range(n):
        tl_one(ROUNDS * n + i)
    flush()
    tl_all = (time.perf_counter() - t) / n * 1000
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
