#!/usr/bin/env bash
# Drift benchmarks in their own venv: trackline + Polars + pyspark + Evidently + DataSketches.
# Evidently and DataSketches are installed only here, never in the test environments.
# Usage: benchmarks/drift.sh [--rows N] [--no-evidently] [--no-spark]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh bench-drift "examples,spark"
.venvs/tools/bin/uv pip install -q --python .venvs/bench-drift/bin/python \
  "evidently>=0.7,<0.8" "pandas<3" "datasketches>=5" "polars>=1.0" "scipy>=1.11"
cd benchmarks
../.venvs/bench-drift/bin/python sketch_accuracy.py
exec ../.venvs/bench-drift/bin/python profile_bench.py "$@"
