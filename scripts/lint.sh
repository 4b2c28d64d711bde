#!/usr/bin/env bash
# Static checks CI runs before the tests: ruff (lint + format) and the import contracts of the
# floor plan (docs/architecture.md). Needs the core venv (scripts/venv.sh core ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venvs/core/bin
paths=(src tests benchmarks examples example_dags example_flows)
"$bin/ruff" check "${paths[@]}"
"$bin/ruff" format --check "${paths[@]}"
"$bin/lint-imports" --no-cache
