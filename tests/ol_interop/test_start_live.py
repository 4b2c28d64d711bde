"""START leaves when a run starts, not when it ends: a consumer sees a long task running, and
every run gets exactly one START and one terminal event, which a backfill re-sends unchanged."""

from __future__ import annotations

import threading

import pytest

import trackline
from trackline.client import configure, connect
from trackline.config import clear_override
from trackline.openlineage import emitter

from .conftest import Consumer
from .validate import validate_event


def _http_to(monkeypatch, url: str) -> None:
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TIMEOUT", "5")


@pytest.fixture
def live(tmp_path, monkeypatch, consumer):
    _http_to(monkeypatch, consumer.url)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    configure(store=url, home=str(tmp_path), openlineage=True)
    yield url
    emitter.flush()
    clear_override()


def _by_run(events: list[dict]) -> dict[str, list[str]]:
    runs: dict[str, list[str]] = {}
    for e in events:
        runs.setdefault(e["run"]["runId"], []).append(e["eventType"])
    return runs


def test_a_running_task_is_seen_starting_then_ending_once(live, consumer, monkeypatch):
    running, release, failed = threading.Event(), threading.Event(), []

    @trackline.tracked_task(name="prepare")
    def prepare(x: int) -> int:
        return x + 1

    @trackline.tracked_task(name="slow")
    def slow(x: int, epochs: int = 3) -> int:
        running.set()
        release.wait()
        return x * epochs

    def pipeline() -> None:
        try:
            with trackline.pipeline_run("long"):
                slow(prepare(1))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failed.append(exc)
        finally:
            running.set()

    worker = threading.Thread(target=pipeline)
    worker.start()
    try:
        running.wait()
        emitter.flush()  # what was queued by now (the STARTs) has reached the consumer
        seen = list(consumer.events)
        assert not failed and worker.is_alive()
        assert [(e["job"]["name"], e["eventType"]) for e in seen if e["job"]["name"] != "long"] == [
            ("long.prepare", "START"),
            ("long.prepare", "COMPLETE"),
            ("long.slow", "START"),
        ]
        assert [e["eventType"] for e in seen if e["job"]["name"] == "long"] == ["START"]
        start = next(e for e in seen if e["job"]["name"] == "long.slow")
        assert start["run"]["facets"]["trackline_params"]["params"] == {"x": 2, "epochs": 3}
        assert start["run"]["facets"]["parent"]["job"]["name"] == "long"
    finally:
        release.set()
        worker.join()
    assert not failed
    emitter.flush()
    events = consumer.events
    for e in events:
        validate_event(e)
    runs = _by_run(events)
    assert len(runs) == 3
    assert all(types == ["START", "COMPLETE"] for types in runs.values()), runs
    # A backfill re-sends the very same events: same run ids, same START (a consumer dedupes).
    again = Consumer()
    try:
        from openlineage.client import OpenLineageClient

        from trackline.openlineage.export import export_history

        result = export_history(
            connect().store,
            OpenLineageClient(config={"transport": {"type": "http", "url": again.url}}),
            namespace="trackline",
        )
        assert not result.errors and result.runs == 3
        key = [(e["run"]["runId"], e["eventType"], e["eventTime"]) for e in events]
        assert sorted(key) == sorted(
            (e["run"]["runId"], e["eventType"], e["eventTime"]) for e in again.events
        )
    finally:
        again.close()


def test_a_run_announced_twice_starts_once(live, consumer):
    from trackline.capture.recorder import RunRecorder

    first = RunRecorder("twice", run_id="0" * 32).start()
    first.announce()
    second = RunRecorder("twice", run_id="0" * 32).start()
    second.started_at = first.started_at
    second.announce()  # another recorder of the same run (an adapter and a decorator)
    second.finish()
    first.finish()
    emitter.flush()
    assert _by_run(consumer.events) == {consumer.events[0]["run"]["runId"]: ["START", "COMPLETE"]}
