"""The transport is the openlineage-python client's own configuration: ``OPENLINEAGE__*``
variables, ``OPENLINEAGE_URL`` or an ``openlineage.yml``, behind trackline's outbox."""

from __future__ import annotations

import json
import logging
import os

import pytest

import trackline
from trackline.client import configure
from trackline.config import clear_override
from trackline.openlineage import emitter

from .validate import validate_event


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no openlineage.yml from the working directory
    yield monkeypatch
    clear_override()


def _pipeline(home) -> None:
    """A tracked pipeline of two tasks in a fresh store, its events flushed."""
    configure(store=f"sqlite:///{home / 'store.db'}", home=str(home), openlineage=True)

    @trackline.tracked_task(name="double")
    def double(x: int) -> int:
        return 2 * x

    with trackline.pipeline_run("transports"):
        double(double(1))
    assert emitter.flush()


def _check(events: list[dict]) -> None:
    runs: dict[str, list[str]] = {}
    for e in events:
        validate_event(e)
        runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
    assert len(runs) == 3  # the pipeline run and two task runs
    assert all(types == ["START", "COMPLETE"] for types in runs.values()), runs


def _lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x]


def test_console_transport(clean_env, tmp_path, caplog):
    clean_env.setenv("OPENLINEAGE__TRANSPORT__TYPE", "console")
    caplog.set_level(logging.INFO, logger="openlineage.client.transport.console")
    _pipeline(tmp_path)
    printed = [r.getMessage() for r in caplog.records if r.name.endswith("transport.console")]
    _check([json.loads(m) for m in printed])


def test_file_transport(clean_env, tmp_path):
    out = tmp_path / "events.jsonl"
    clean_env.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    clean_env.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(out))
    clean_env.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    _pipeline(tmp_path)
    _check(_lines(out))


def test_openlineage_url(clean_env, tmp_path, consumer):
    clean_env.setenv("OPENLINEAGE_URL", consumer.url)
    _pipeline(tmp_path)
    _check(consumer.events)


def test_composite_transport_from_a_yaml_file(clean_env, tmp_path, consumer):
    out = tmp_path / "copy.jsonl"
    config = tmp_path / "conf" / "openlineage.yml"
    config.parent.mkdir()
    config.write_text(
        "transport:\n"
        "  type: composite\n"
        "  continue_on_success: true\n"
        "  transports:\n"
        f"    catalogue: {{type: http, url: '{consumer.url}'}}\n"
        f"    copy: {{type: file, log_file_path: '{out}', append: true}}\n"
    )
    clean_env.setenv("OPENLINEAGE_CONFIG", str(config))
    _pipeline(tmp_path)
    _check(consumer.events)
    _check(_lines(out))
