"""Run one DAG with ``dag.test()`` in a fresh process (plugins load with this environment)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import load_dag  # noqa: E402

if __name__ == "__main__":
    home, dag_id = Path(sys.argv[1]), sys.argv[2]
    run = load_dag(home, dag_id).test()
    state = str(getattr(run.state, "value", run.state))
    print(state)
    sys.exit(0 if state == "success" else 1)
