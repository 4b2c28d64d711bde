"""One real Prefect API server (``prefect_test_harness``) for the whole Prefect test session.

Starting it costs ~15 s, so every test shares it; each test still gets its own trackline home
(and so its own store) from the shared ``trackline_env`` fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Analytics on made the harness log "database is locked"; set before Prefect reads its settings.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

HERE = Path(__file__).parent


@pytest.fixture(scope="session", autouse=True)
def prefect_api(tmp_path_factory: pytest.TempPathFactory):
    """The harness's API URL (subprocesses get it through ``PREFECT_API_URL``)."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect_home"))
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


def cli(*args: str) -> object:
    """Run the trackline CLI in a subprocess and parse its ``--json`` output."""
    exe = Path(sys.executable).with_name("trackline")
    out = subprocess.run([str(exe), *args, "--json"], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f"trackline {' '.join(args)} failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)
