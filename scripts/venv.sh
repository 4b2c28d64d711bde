#!/usr/bin/env bash
# Usage: scripts/venv.sh NAME EXTRAS — create (or refresh) .venvs/NAME with trackline[EXTRAS] editable.
# uv is bootstrapped into .venvs/tools with the system Python's pip; nothing is installed globally.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; extras=$2
py=${PYTHON:-python3}
if [ ! -x .venvs/tools/bin/uv ]; then
  "$py" -m venv .venvs/tools
  .venvs/tools/bin/pip install -q uv
fi
uv=.venvs/tools/bin/uv
if [ ! -x ".venvs/$name/bin/python" ]; then
  "$uv" venv -q --python "$py" ".venvs/$name"
fi
"$uv" pip install -q --python ".venvs/$name/bin/python" -e ".[$extras]"
