"""Live emission over HTTP to a loopback consumer: events leave the finishing process without
blocking it, and a consumer that is down loses nothing (the outbox keeps the runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trackline.config import Settings
from trackline.openlineage.outbox import Outbox

from .conftest import Consumer
from .validate import validate_event

HERE = Path(__file__).parent


def _run(home: Path, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLINE_", "OPENLINEAGE"))}
    env.update(
        TRACKLINE_HOME=str(home),
        TRACKLINE_OPENLINEAGE="1",
        TRACKLINE_OPENLINEAGE_FLUSH_S="30",
        OPENLINEAGE__TRANSPORT__TYPE="http",
        OPENLINEAGE__TRANSPORT__URL=url,
        OPENLINEAGE__TRANSPORT__TIMEOUT="5",
        OPENLINEAGE__TRANSPORT__RETRY='{"total": 0, "connect": 0, "read": 0}',
    )
    return subprocess.run(
        [sys.executable, str(HERE / "emit_pipeline.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_a_finished_pipeline_reaches_the_consumer(tmp_path, consumer):
    proc = _run(tmp_path, consumer.url)
    assert proc.returncode == 0, proc.stderr
    events = consumer.events
    runs: dict[str, list[str]] = {}
    for e in events:
        validate_event(e)
        runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
    # one pipeline run + three squares + one total: one START, then one COMPLETE, each
    assert len(runs) == 5
    assert all(types == ["START", "COMPLETE"] for types in runs.values())
    names = {e["job"]["name"] for e in events}
    assert names == {"numbers", "numbers.square", "numbers.total"}
    assert not Outbox(Settings(home=tmp_path).openlineage_outbox).pending()


def test_a_consumer_that_is_down_fails_nothing_and_loses_nothing(tmp_path):
    down = Consumer()
    url = down.url
    down.close()  # nothing listens on that port now
    proc = _run(tmp_path, url)
    assert proc.returncode == 0, proc.stderr  # the pipeline's own result is untouched
    assert "not sent" in proc.stderr
    settings = Settings(home=tmp_path, openlineage=True)
    box = Outbox(settings.openlineage_outbox)
    assert len(box.pending()) == 10  # each run's START and its end
    # The consumer is back: what waited is sent (the next emitting process would do the same).
    up = Consumer()
    try:
        from openlineage.client import OpenLineageClient

        from trackline.openlineage.emitter import send_pending

        client = OpenLineageClient(config={"transport": {"type": "http", "url": up.url}})
        sent, left = send_pending(settings, client)
        assert (sent, left) == (10, 0)
        runs: dict[str, list[str]] = {}
        for e in up.events:
            validate_event(e)
            runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
        assert len(runs) == 5
        assert all(types == ["START", "COMPLETE"] for types in runs.values())
    finally:
        up.close()
