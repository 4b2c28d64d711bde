"""A FIFO, a socket or a device has no bytes to digest: opening a FIFO blocks until a writer
comes, and /dev/zero never ends. Logged or passed as a path, such a file is recorded by its
location, and the task returns. (Run in a subprocess: a regression would hang, not fail.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from trackline.capture.hashing import NotAFile, hash_file

SCRIPT = textwrap.dedent(
    """
    import json, pathlib, sys
    import trackline

    @trackline.tracked_task
    def task(p: pathlib.Path):
        trackline.log_artifact(pathlib.Path(sys.argv[2]), name="logged", direction="input")
        return 1

    task(pathlib.Path(sys.argv[1]))
    c = trackline.connect()
    run = c.run(c.runs()[0].id)
    inputs = [[i.name, i.kind, i.uri] for i in run.inputs]
    print(json.dumps({"status": run.status, "inputs": inputs}))
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_and_devices_are_recorded_by_location(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for argument, logged in ((fifo, "/dev/zero"), ("/dev/urandom", fifo)):
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(argument), str(logged)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
        )
        assert out.returncode == 0, out.stderr[-2000:]
        run = json.loads(out.stdout.strip().splitlines()[-1])
        assert run["status"] == "success"
        kinds = {name: (kind, uri) for name, kind, uri in run["inputs"]}
        assert kinds["p"][0] == "uri" and kinds["p"][1].endswith(os.path.basename(argument))
        assert kinds["logged"][0] == "uri"
    with pytest.raises(NotAFile, match="not a regular file"):
        hash_file(fifo)


def test_a_frame_past_float_range_is_recorded_without_its_profile(use_store):
    """Its variance overflows: the profile (a bonus for drift checks) is left out, the run and
    its output are recorded whole instead of being quarantined."""
    import pandas as pd

    import trackline
    from trackline.config import settings
    from trackline.store.quarantine import list_quarantined

    @trackline.tracked_task
    def make(scale: float) -> pd.DataFrame:
        return pd.DataFrame({"x": [scale, -scale, 0.0]})

    make(1e160)
    client = trackline.connect()
    run = client.run(client.runs()[0].id)
    assert run.status == "success" and run.params == {"scale": 1e160}
    [out] = run.outputs
    assert client.artifact(out.digest).profile is None
    assert list_quarantined(settings().spool_path) == []
