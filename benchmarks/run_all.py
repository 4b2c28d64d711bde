"""Run every benchmark and write benchmarks/results.json (see docs/benchmarks.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import hashing
import lineage
import metrics
import mlflow_compare
import openlineage_bench
import overhead
from _common import machine, save


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"machine: {machine()}\n")
    overhead.main(500 if quick else 2000)
    metrics.main(2000 if quick else 20_000)
    mlflow_compare.main(40 if quick else 200)
    hashing.main(64 if quick else 1024)
    lineage.main(30_000 if quick else 1_000_000)
    openlineage_bench.main(300 if quick else 2000)
    save(Path(__file__).parent / "results.json")


if __name__ == "__main__":
    main()
