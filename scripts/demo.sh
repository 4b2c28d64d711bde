#!/usr/bin/env bash
# Installs trackline into .venvs/demo and runs the demo pipeline into the embedded SQLite store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh demo "examples"
exec .venvs/demo/bin/python examples/demo.py "$@"
