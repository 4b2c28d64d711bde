#!/usr/bin/env bash
# Installs everything into project-local virtual environments and runs the whole test suite.
# Airflow 3.3 and Prefect 3.9 pin conflicting FastAPI versions, so each gets its own venv.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tests start many Python subprocesses (CLI calls, workers): let them reuse compiled bytecode.
unset PYTHONDONTWRITEBYTECODE
# System packages (Debian chromium for the web UI browser tests), installed only when missing.
scripts/system-deps.sh
scripts/venv.sh core "dev,postgres,server,examples,spark,openlineage"
scripts/venv.sh airflow "dev,postgres,airflow,examples,airflow-openlineage"
scripts/venv.sh prefect "dev,postgres,prefect,examples,openlineage"
status=0
scripts/lint.sh || status=1
.venvs/core/bin/python -m pytest tests --ignore=tests/airflow --ignore=tests/prefect -q "$@" || status=1
.venvs/airflow/bin/python -m pytest tests/airflow -q "$@" || status=1
.venvs/prefect/bin/python -m pytest tests/prefect -q "$@" || status=1
exit $status
