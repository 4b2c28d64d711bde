#!/usr/bin/env bash
# One command for every benchmark: builds .venvs/bench (trackline + mlflow, only here), runs all.
# Usage: benchmarks/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh bench "examples,postgres,openlineage,server"
.venvs/tools/bin/uv pip install -q --python .venvs/bench/bin/python "mlflow>=3,<4"
cd benchmarks
exec ../.venvs/bench/bin/python run_all.py "$@"
