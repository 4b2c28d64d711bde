"""Real Prefect flows against a real store, checked through the CLI's JSON contract."""

from __future__ import annotations

import os

import pytest
from prefect.states import State

from conftest import cli


def _by_name(runs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in runs:
        out.setdefault(r["name"], []).append(r)
    return out


def attempts_of(by: dict[str, list[dict]], name: str) -> list[dict]:
    return sorted(by[name], key=lambda r: r["external_ids"]["run_count"])


def _node_names(graph: dict) -> set[str]:
    return {n["name"] for n in graph["nodes"] if n["type"] == "task_run"}


def test_decorated_undecorated_mapped_retried_and_unhashable(use_store):
    from flows import acceptance_flow

    state: State = acceptance_flow(n=4, factor=3, return_state=True)
    assert state.is_completed()
    assert state.result() == "32:False"  # 3*(0+1+2+3) + (0+1+4+9)
    flow_run_id = str(state.state_details.flow_run_id)

    [pipe] = cli("pipelines")
    assert pipe["id"] == flow_run_id
    assert pipe["pipeline"] == "acceptance-flow"
    assert pipe["status"] == "success"
    assert pipe["config"] == {"n": 4, "factor": 3}
    assert pipe["external_ids"]["flow_run_id"] == flow_run_id

    runs = cli("runs", "--pipeline-run", flow_run_id)
    by = _by_name(runs)
    assert sorted(by) == ["flaky_sum", "load", "make_lock", "scale", "square", "use_lock"]
    assert len(by["square"]) == 4  # one per mapped element
    assert {r["status"] for r in by["square"]} == {"success"}
    # Two attempts of one Prefect task run: the first is up for retry, the second succeeded.
    flaky = sorted(by["flaky_sum"], key=lambda r: r["external_ids"]["run_count"])
    assert [r["status"] for r in flaky] == ["up_for_retry", "success"]
    assert flaky[0]["external_ids"]["task_run_id"] == flaky[1]["external_ids"]["task_run_id"]
    for r in runs:
        assert r["pipeline"] == "acceptance-flow"
        assert r["pipeline_run_id"] == flow_run_id
        assert r["external_ids"]["flow_run_id"] == flow_run_id
        assert r["external_ids"]["task_run_id"]
        assert r["started_at"] and r["ended_at"] and r["duration_s"] is not None
    # Nothing is recorded twice: one record per attempt of each Prefect task run.
    keys = [(r["external_ids"]["task_run_id"], r["external_ids"]["run_count"]) for r in runs]
    assert len(keys) == len(set(keys)) == 10

    # A decorated task: params, content-addressed inputs/outputs, resources, metrics, code.
    final = cli("show", flaky[1]["id"])
    assert final["status"] == "success" and final["error"] is None
    assert {m["key"]: m["value"] for m in final["metrics"]} == {"total": 32.0}
    assert final["code"]["qualname"] == "flaky_sum" and final["resources"] is not None
    assert {i["name"] for i in final["inputs"]} >= {"values", "squares"}
    assert any(o["name"] == "return" and o["kind"] == "value" for o in final["outputs"])
    first = cli("show", flaky[0]["id"])
    assert first["error"]["type"] == "ConnectionError"
    assert first["error"]["message"] == "transient outage"

    # An undecorated task, recorded by the task hooks the tracked flow gave it: the argument it
    # got, its code, resources, its result by content digest, plus Prefect's upstream link node.
    [load] = by["load"]
    shown = cli("show", load["id"])
    assert shown["status"] == "success" and shown["duration_s"] is not None
    assert shown["params"] == {"n": 4}
    assert shown["code"]["qualname"] == "load" and shown["resources"] is not None
    assert sorted(o["kind"] for o in shown["outputs"]) == ["task_result", "value"]
    [loaded] = [o for o in shown["outputs"] if o["kind"] == "value"]
    scaled = cli("show", by["scale"][0]["id"])
    assert loaded["digest"] in {i["digest"] for i in scaled["inputs"] if i["name"] == "values"}
    squares = [cli("show", r["id"]) for r in by["square"]]
    assert sorted(s["params"]["x"] for s in squares) == [0, 1, 2, 3]

    # Lineage across tasks: use_lock got an unhashable lock from make_lock and a total from
    # flaky_sum, which got the outputs of scale (decorated) and the four squares (undecorated).
    [use_lock] = by["use_lock"]
    up = cli("lineage", use_lock["id"])
    assert _node_names(up) == {"use_lock", "make_lock", "flaky_sum", "scale", "square", "load"}
    # The lock itself is an opaque value (nothing can hash it); Prefect's task input is the link.
    kinds = {n["id"]: n["kind"] for n in up["nodes"]}
    lock_inputs = sorted(kinds[e["source"]] for e in up["edges"] if e["name"] == "lock")
    assert lock_inputs == ["opaque", "task_result"]
    made = {e["target"] for e in up["edges"] if e["source"] == by["make_lock"][0]["id"]}
    assert [kinds[d] for d in made] == ["task_result"]
    down = cli("lineage", load["id"], "--direction", "downstream")
    assert _node_names(down) == {"load", "scale", "square", "flaky_sum", "use_lock"}


def test_retries_ending_in_failure():
    from flows import failing_flow

    state = failing_flow(x=7, return_state=True)
    assert state.is_failed()
    flow_run_id = str(state.state_details.flow_run_id)
    [pipe] = cli("pipelines")
    assert (pipe["id"], pipe["status"]) == (flow_run_id, "failed")

    by = _by_name(cli("runs", "--pipeline-run", flow_run_id))
    for name, message in (
        ("always_fails", "bad input 7"),
        ("plain_always_fails", "bad plain input 7"),
    ):
        attempts = sorted(by[name], key=lambda r: r["external_ids"]["run_count"])
        assert [r["status"] for r in attempts] == ["up_for_retry", "failed"], name
        first, last = (cli("show", a["id"]) for a in attempts)
        assert message in last["error"]["message"], last["error"]
        assert message in first["error"]["message"], first["error"]
        assert first["params"] == last["params"] == {"x": 7}
    # The undecorated task's final failure is the exception itself, caught by its failure hook.
    assert (
        cli("show", attempts_of(by, "plain_always_fails")[1]["id"])["error"]["type"] == "ValueError"
    )
    assert len(cli("runs", "--status", "failed")) == 2


def test_flow_hooks_keep_user_hooks():
    from flows import CALLS, hooked_flow, tracked_with_hooks

    CALLS.clear()
    assert hooked_flow(word="four") == 16
    assert tracked_with_hooks() == 9
    assert CALLS == ["hooked-flow:COMPLETED", "tracked-with-hooks:COMPLETED"]
    pipes = {p["pipeline"]: p for p in cli("pipelines")}
    assert set(pipes) == {"hooked-flow", "tracked-with-hooks"}
    assert pipes["hooked-flow"]["config"] == {"word": "four"}
    assert {p["status"] for p in pipes.values()} == {"success"}
    assert {r["name"] for r in cli("runs")} == {"square"}
    assert {cli("show", r["id"])["params"]["x"] for r in cli("runs")} == {4, 3}


def test_task_hooks_stay_quiet_in_untracked_flows():
    from flows import hooked_flow, untracked_flow

    assert hooked_flow(word="abc") == 9  # gives `square` trackline's task hooks
    assert untracked_flow() == 4  # runs the same task object in a flow nobody tracks
    assert {p["pipeline"] for p in cli("pipelines")} == {"hooked-flow"}
    assert [cli("show", r["id"])["params"]["x"] for r in cli("runs")] == [3]


def test_process_pool_task_runner():
    from flows import pool_flow

    state = pool_flow([1, 2, 3], return_state=True)
    assert state.result() == [2, 9, 28]
    flow_run_id = str(state.state_details.flow_run_id)
    by = _by_name(cli("runs", "--pipeline-run", flow_run_id))
    assert len(by["cube"]) == 3 and len(by["plus_one"]) == 3 and len(by["count"]) == 1
    assert by["count"][0]["status"] == "success"  # undecorated, from the API
    shown = [cli("show", r["id"]) for r in by["cube"]]
    # Decorated tasks ran in worker processes, not in the flow's process, and kept their identity.
    assert all(s["pipeline"] == "pool-flow" and s["code"]["qualname"] == "cube" for s in shown)
    assert {s["params"]["x"] for s in shown} == {1, 2, 3}
    assert all(s["pid"] != os.getpid() for s in shown)
    assert {s["status"] for s in shown} == {"success"}
    lineage = cli("lineage", by["plus_one"][0]["id"])
    assert _node_names(lineage) == {"plus_one", "cube"}
    squares = [cli("show", r["id"]) for r in by["square"]]
    assert sorted(s["params"]["x"] for s in squares) == [1, 2, 3]
    assert all(s["pid"] != os.getpid() and s["pipeline"] == "pool-flow" for s in squares)
    assert {s["status"] for s in squares} == {"success"}


def test_tracked_flow_rejects_misuse():
    from prefect import flow
    from trackline.prefect import flow_hooks, tracked_flow

    with pytest.raises(TypeError, match="unexpected"):
        flow_hooks(on_sucess=[print])
    with pytest.raises(TypeError, match="replaces @flow"):
        tracked_flow(flow(lambda: 1))
    with pytest.raises(TypeError, match="list of hooks"):
        flow_hooks(on_failure=3)


def test_persisted_result_of_undecorated_task_links_by_content():
    from flows import persisted_flow

    assert persisted_flow(n=5) == 30
    runs = {r["name"]: r for r in cli("runs")}
    made = cli("show", runs["make_rows"]["id"])
    summed = cli("show", runs["sum_squares"]["id"])
    [result] = [o for o in made["outputs"] if o["name"] == "return"]
    # The same content digest on both sides: the decorated task's input is the undecorated
    # task's persisted result, hashed from Prefect's result storage after the flow ended.
    assert result["digest"] in {i["digest"] for i in summed["inputs"] if i["name"] == "rows"}
    assert result["kind"] == "value"


def test_async_flow_and_async_tracked_task():
    import asyncio

    from flows import async_flow

    assert asyncio.run(async_flow(n=3)) == 9
    [pipe] = cli("pipelines")
    assert (pipe["pipeline"], pipe["status"], pipe["config"]) == ("async-flow", "success", {"n": 3})
    by = {r["name"]: r for r in cli("runs")}
    assert set(by) == {"fetch", "square"}
    assert cli("show", by["fetch"]["id"])["code"]["qualname"] == "fetch"
    assert by["square"]["status"] == "success"


def test_trackline_hooks_do_not_flood_prefect_logs():
    import logging

    from flows import tracked_with_hooks

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger("prefect.task_runs"), logging.getLogger("prefect.flow_runs")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:  # the suite runs Prefect at WARNING; this test reads its INFO lines
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        assert tracked_with_hooks() == 9
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert any("Finished in state Completed" in m for m in seen), seen
    assert any("_user_hook" in m for m in seen), seen  # the user's own hook is still logged
    assert not [m for m in seen if "trackline_" in m]
    [run] = cli("runs")
    assert cli("show", run["id"])["params"] == {"x": 3}  # the quiet hooks still recorded it
