"""Run every benchmark: print each figure beside its same-run baseline, ratio and aim; write
benchmarks/results.json and append to benchmarks/history.csv (with the commit measured).

    benchmarks/run.sh [--quick] [--only overhead,circuit,journal,metrics,mlflow,hashing,lineage]

``--quick`` uses small sizes (a 5,000-pipeline lineage graph) and appends nothing to the
history; the full lineage graph is built once and cached under benchmarks/data/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import artifact_bytes
import circuit
import hashing
import journal
import lineage
import metrics
import mlflow_compare
import observation
import openlineage_bench
import overhead
import search
from _common import commit, machine, save


def main() -> None:
    quick = "--quick" in sys.argv
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    print(f"machine: {machine()}  commit: {commit()}\n")
    steps = {
        # Per-call latencies first, before the benchmarks that leave stores with background
        # threads (probes of a stopped server, journal senders) in this process.
        "overhead": lambda: overhead.main(500 if quick else 3000),
        "mlflow": lambda: mlflow_compare.main(40 if quick else 200),
        "circuit": lambda: circuit.main(200 if quick else 500),
        "journal": lambda: journal.main(200 if quick else 500, 4, 500 if quick else 2500),
        "metrics": lambda: metrics.main(2000 if quick else 20_000),
        "hashing": lambda: hashing.main(64 if quick else 1024),
        "lineage": lambda: lineage.main(5_000 if quick else lineage.PIPELINES),
        "observation": lambda: observation.main(
            100 if quick else 300, 10_000 if quick else 100_000
        ),
        "artifact_bytes": lambda: artifact_bytes.main(64 if quick else 256),
        "openlineage": lambda: openlineage_bench.main(300 if quick else 2000),
        "search": lambda: search.main(2_000 if quick else 100_000, 2_000 if quick else 100_000),
    }
    import os

    from trackline.config import clear_override

    for name, step in steps.items():
        if only is None or name in only:
            clear_override()  # each benchmark chooses its own store
            for var in ("TRACKLINE_STORE", "TRACKLINE_TOKEN"):
                os.environ.pop(var, None)
            step()
    here = Path(__file__).parent
    save(here / "results.json", None if quick else here / "history.csv")


if __name__ == "__main__":
    main()
