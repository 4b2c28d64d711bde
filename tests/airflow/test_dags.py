"""The example DAGs and test DAGs under ``dag.test()``, checked through the trackline CLI."""

from __future__ import annotations

from helpers import (
    assert_identities,
    assert_recorded_once,
    by_name,
    helper_runs,
    key,
    lineage_run_names,
    runs_of,
    trackline_subprocess,
)

from trackline.model.ids import deterministic_id

ML_TASKS = {
    "ingest",
    "validate",
    "featurize",
    "train",
    "evaluate",
    "archive_model",
    "publish_report",
}


def test_ml_pipeline_records_every_task_once_with_lineage(run_dag, cli):
    dr = run_dag("trackline_ml_pipeline")
    assert dr.state == "success"
    runs = runs_of(
        trackline_subprocess, "trackline_ml_pipeline"
    )  # once through the real executable
    assert_recorded_once(runs)
    assert_identities(runs, "trackline_ml_pipeline", dr.run_id)
    assert {r["name"] for r in runs} == ML_TASKS
    assert {r["status"] for r in runs} == {"success"}
    tasks = {name: cli("show", found[0]["id"]) for name, found in by_name(runs).items()}

    # Identities, params and operator facts.
    train = tasks["train"]
    assert train["params"]["C"] == 0.5 and train["params"]["max_iter"] == 500
    assert train["external_ids"]["operator"].endswith("TrackedPythonOperator")
    assert tasks["validate"]["external_ids"]["operator"].endswith("TrackedDecoratedOperator")
    assert tasks["featurize"]["params"]["test_size"] == 0.25
    archive = tasks["archive_model"]
    assert (
        "model-" in archive["params"]["bash_command"]
        and "{{" not in archive["params"]["bash_command"]
    )
    assert archive["external_ids"]["operator"].endswith("TrackedBashOperator")
    assert tasks["publish_report"]["external_ids"]["operator"].endswith("bash.BashOperator")
    assert tasks["publish_report"]["resources"]["peak_rss_bytes"] > 0
    assert {m["key"] for m in tasks["evaluate"]["metrics"]} >= {"accuracy", "f1", "roc_auc"}
    accuracy = next(m["value"] for m in tasks["evaluate"]["metrics"] if m["key"] == "accuracy")
    assert accuracy > 0.9

    # XCom values link tasks by digest: featurize's train frame is train's input, and so on.
    out = {(name, ref["name"]): ref["digest"] for name, t in tasks.items() for ref in t["outputs"]}
    inp = {(name, ref["name"]): ref["digest"] for name, t in tasks.items() for ref in t["inputs"]}
    assert inp[("validate", "frame")] == out[("ingest", "return")]
    assert inp[("featurize", "frame")] == out[("validate", "return")]
    assert inp[("train", "train")] == out[("featurize", "return.train")]
    assert inp[("evaluate", "test")] == out[("featurize", "return.test")]
    assert inp[("evaluate", "model.joblib")] == out[("train", "model.joblib")]
    # The metrics Asset links evaluate (outlet) to publish_report (inlet) by URI.
    asset = next(r for r in tasks["publish_report"]["inputs"] if r["name"] == "ml_pipeline_metrics")
    assert asset["kind"] == "uri" and asset["uri"].endswith("metrics.json")
    assert out[("evaluate", "ml_pipeline_metrics")] == asset["digest"]

    upstream = cli("lineage", tasks["publish_report"]["id"], "--direction", "upstream")
    assert lineage_run_names(upstream) >= {"evaluate", "train", "featurize", "validate", "ingest"}

    pipes = cli("pipelines", "--pipeline", "trackline_ml_pipeline")
    assert len(pipes) == 1
    assert pipes[0]["id"] == deterministic_id("trackline_ml_pipeline", dr.run_id)
    assert pipes[0]["status"] == "success"
    assert pipes[0]["external_ids"]["run_id"] == dr.run_id


def test_failed_try_is_recorded_then_retried(run_dag, cli):
    dr = run_dag("tl_retry")
    assert dr.state == "failed"
    runs = runs_of(cli, "tl_retry")
    assert_recorded_once(runs)
    assert_identities(runs, "tl_retry", dr.run_id)
    tasks = by_name(runs)
    assert [(key(r)[1], r["status"]) for r in tasks["flaky"]] == [
        (1, "up_for_retry"),
        (2, "success"),
    ]
    first = cli("show", tasks["flaky"][0]["id"])
    assert first["error"]["type"] == "ConnectionError"
    assert "warehouse not reachable" in first["error"]["message"]
    assert cli("show", tasks["flaky"][1]["id"])["error"] is None
    assert [r["status"] for r in tasks["flaky_tracked"]] == ["up_for_retry", "success"]

    [doomed] = tasks["doomed"]
    assert doomed["status"] == "failed"
    shown = cli("show", doomed["id"])
    assert (
        shown["error"]["type"] == "ValueError" and "refusing 700 rows" in shown["error"]["message"]
    )
    # The retried try's output is what the failed task read.
    upstream = cli("lineage", doomed["id"], "--direction", "upstream")
    assert tasks["flaky"][1]["id"] in {n["id"] for n in upstream["nodes"]}
    assert tasks["flaky"][0]["id"] not in {n["id"] for n in upstream["nodes"]}

    # A task that skips itself (listener only) is recorded as skipped.
    [skipper] = tasks["skipper"]
    assert skipper["status"] == "skipped"
    assert key(skipper)[1] == 1 and "state" not in skipper["external_ids"]
    # Tasks the scheduler settled without running them are recorded at the dag run's end, once.
    never_ran = {"notify": "upstream_failed", "after_skip": "skipped", "not_taken": "skipped"}
    for name, state in never_ran.items():
        [run] = tasks[name]
        assert run["status"] == "skipped", (name, run)
        assert run["external_ids"]["state"] == state and key(run)[1] == 0
        assert cli("show", run["id"])["pipeline_run_id"] == run["pipeline_run_id"]
    assert [r["status"] for r in tasks["taken"]] == ["success"]

    [pipe] = cli("pipelines", "--pipeline", "tl_retry")
    assert pipe["status"] == "failed"


def test_mapped_tasks_are_recorded_per_map_index(run_dag, cli):
    dr = run_dag("trackline_mapped_sweep")
    assert dr.state == "success"
    runs = runs_of(cli, "trackline_mapped_sweep")
    assert_recorded_once(runs)
    assert_identities(runs, "trackline_mapped_sweep", dr.run_id)
    tasks = by_name(runs)
    assert [key(r)[2] for r in tasks["train"]] == [0, 1, 2]
    assert [key(r)[2] for r in tasks["shard"]] == [0, 1, 2]
    assert [key(r)[2] for r in tasks["pick_best"]] == [-1]
    trains = [cli("show", r["id"]) for r in tasks["train"]]
    assert [t["params"]["C"] for t in trains] == [0.01, 0.1, 1.0]
    shards = [cli("show", r["id"]) for r in tasks["shard"]]
    assert [s["params"]["bash_command"] for s in shards] == [f"echo shard {i}" for i in range(3)]
    # Each mapped result links to the reducing task.
    upstream = cli("lineage", tasks["pick_best"][0]["id"], "--direction", "upstream")
    assert {r["id"] for r in tasks["train"]} <= {n["id"] for n in upstream["nodes"]}
    assert tasks["load"][0]["id"] in {n["id"] for n in upstream["nodes"]}


def test_without_the_listener_retry_status_comes_from_the_entry_point(run_dag, cli, monkeypatch):
    monkeypatch.setenv("AIRFLOW__TRACKLINE__CAPTURE_ALL_TASKS", "False")
    dr = run_dag("tl_retry")
    tasks = by_name(runs_of(cli, "tl_retry"))
    # @task.tracked knows Airflow's retry policy; a plain @tracked_task only sees an exception.
    assert [r["status"] for r in tasks["flaky_tracked"]] == ["up_for_retry", "success"]
    assert [r["status"] for r in tasks["flaky"]] == ["failed", "success"]
    assert [r["status"] for r in tasks["doomed"]] == ["failed"]
    assert not {"skipper", "notify", "after_skip", "not_taken"} & set(tasks)
    assert dr.state == "failed"


def test_without_the_listener_only_tracked_tasks_are_recorded(run_dag, cli, monkeypatch):
    monkeypatch.setenv("AIRFLOW__TRACKLINE__CAPTURE_ALL_TASKS", "False")
    dr = run_dag("tl_worker")
    assert dr.state == "success"
    runs = runs_of(cli, "tl_worker")
    assert_recorded_once(runs)
    assert_identities(runs, "tl_worker", dr.run_id)
    # "report" (BashOperator) and "total" (plain @task): only the listener would record them.
    tasks = by_name(runs)
    assert set(tasks) == {"produce", "double", "summarize", "square"}
    assert [key(r)[2] for r in tasks["square"]] == [0, 1, 2]
    assert {r["status"] for r in runs} == {"success"}
    assert cli("pipelines", "--pipeline", "tl_worker") == []
    upstream = cli("lineage", tasks["summarize"][0]["id"], "--direction", "upstream")
    assert lineage_run_names(upstream) >= {"double", "produce"}
    # A tracked helper called inside `produce` is a child run, in the same pipeline run.
    [helper] = helper_runs(cli, "tl_worker", "cube_all")
    shown = cli("show", helper["id"])
    assert shown["parent_id"] == tasks["produce"][0]["id"]
    assert shown["pipeline_run_id"] == tasks["produce"][0]["pipeline_run_id"]
    assert shown["params"] == {"values": [0, 1, 2, 3, 4]}


def test_an_unreachable_store_never_fails_a_task(run_dag, monkeypatch, trackline_env):
    from trackline.config import settings

    monkeypatch.setenv("TRACKLINE_STORE", "postgresql://postgres@127.0.0.1:9/unreachable")
    dr = run_dag("tl_worker")
    assert dr.state == "success"
    spooled = list(settings().spool_path.glob("*.json*"))
    # 3 mapped + 5 other task instances and the dag run, kept for `trackline sync`.
    assert len(spooled) >= 9


def test_the_listener_alone_links_plain_python_tasks(run_dag, cli):
    dr = run_dag("tl_worker")
    assert dr.state == "success"
    runs = runs_of(cli, "tl_worker")
    assert_recorded_once(runs)
    assert_identities(runs, "tl_worker", dr.run_id)
    tasks = by_name(runs)
    assert set(tasks) == {
        "produce",
        "double",
        "summarize",
        "total",
        "square",
        "report",
        "on_failure",
    }
    [on_failure] = tasks["on_failure"]
    assert (on_failure["status"], on_failure["external_ids"]["state"]) == ("skipped", "skipped")
    # "total" is a plain @task: its argument and its XCom come from the listener.
    total = cli("show", tasks["total"][0]["id"])
    assert total["external_ids"]["operator"].endswith("_PythonDecoratedOperator")
    upstream = cli("lineage", total["id"], "--direction", "upstream")
    assert lineage_run_names(upstream) >= {"summarize", "double", "produce"}
    assert [ref["name"] for ref in total["outputs"]] == ["return"]
    [pipe] = cli("pipelines", "--pipeline", "tl_worker")
    assert pipe["status"] == "success"
    # Airflow's context (``**context``: ti, dag_run, ds...) is not recorded as arguments.
    assert cli("show", tasks["produce"][0]["id"])["params"] == {"size": 5}
    summarize = cli("show", tasks["summarize"][0]["id"])
    assert [ref["name"] for ref in summarize["inputs"]] == ["numbers"]
    assert summarize["params"] == {"numbers": [0, 2, 8, 18, 32]}
