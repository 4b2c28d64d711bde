"""Emitted events: schema-valid (OpenLineage 2-0-2 + trackline's facet schemas), one START and
one terminal event per run, stable derived ids, parent/root links, ML facets, dataset naming."""

from __future__ import annotations

from openlineage.client.serde import Serde

from trackline.model.runs import RunQuery
from trackline.openlineage.emitter import events_for
from trackline.openlineage.export import export_history

from .validate import custom_facets, validate_event


class Collect:
    """An openlineage-python client transport that keeps what it is given (the client's own
    extension point, so the client's emit path — filters, facets it adds — runs for real)."""

    kind = "collect"

    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event):
        self.events.append(Serde.to_dict(event))

    def close(self, timeout: float = -1) -> bool:
        return True


def _export(recorded) -> list[dict]:
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport import Transport

    class T(Collect, Transport):
        pass

    transport = T()
    result = export_history(
        recorded["store"], OpenLineageClient(transport=transport), namespace="ml"
    )
    assert not result.errors
    return transport.events


def test_every_event_validates_and_custom_facets_match_their_schemas(recorded):
    events = _export(recorded)
    assert len(events) == 2 * 4  # a pipeline run and three task runs, START + terminal each
    seen_custom = set()
    for event in events:
        validate_event(event)
        for name, facet in custom_facets(event):
            seen_custom.add(name)
            assert facet["_producer"].startswith("https://pypi.org/project/trackline/")
    assert {
        "trackline_run",
        "trackline_params",
        "trackline_metrics",
        "trackline_resources",
        "trackline_environment",
        "trackline_artifact",
        "trackline_modelVersion",
        "trackline_gateDecision",
    } == seen_custom  # trackline_evaluation: see the evaluation test


def test_one_start_and_one_terminal_event_per_run_with_stable_ids(recorded):
    first, second = _export(recorded), _export(recorded)
    assert [e["run"]["runId"] for e in first] == [e["run"]["runId"] for e in second]
    by_run: dict[str, list[str]] = {}
    for e in first:
        by_run.setdefault(e["run"]["runId"], []).append(e["eventType"])
        assert e["run"]["runId"][14] == "7"  # UUIDv7
    assert sorted(map(sorted, by_run.values())) == sorted(
        [["COMPLETE", "START"], ["COMPLETE", "START"], ["FAIL", "START"], ["FAIL", "START"]]
    )


def test_task_runs_link_to_their_pipeline_run_and_carry_ml_facets(recorded):
    store = recorded["store"]
    events = _export(recorded)
    pipe = [e for e in events if e["job"]["facets"]["jobType"]["jobType"] == "PIPELINE"]
    assert {e["eventType"] for e in pipe} == {"START", "FAIL"}
    pipe_id = pipe[0]["run"]["runId"]
    tasks = [e for e in events if e["job"]["facets"]["jobType"]["jobType"] == "TASK"]
    for e in tasks:
        parent = e["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == pipe_id and parent["job"]["name"] == "churn"
        assert parent["root"]["run"]["runId"] == pipe_id
        assert e["run"]["facets"]["nominalTime"]["nominalStartTime"]
        assert e["run"]["facets"]["processing_engine"]["name"] == "trackline"
    done = {e["job"]["name"]: e for e in tasks if e["eventType"] != "START"}
    assert set(done) == {"churn.clean", "churn.train", "churn.publish"}
    publish = done["churn.publish"]
    assert publish["eventType"] == "FAIL"
    assert "registry unreachable" in publish["run"]["facets"]["errorMessage"]["message"]
    train = done["churn.train"]
    facets = train["run"]["facets"]
    assert facets["trackline_params"]["params"] == {"lr": 0.1}
    assert [m["step"] for m in facets["trackline_metrics"]["metrics"]] == [0, 1, 2]
    assert facets["trackline_resources"]["peakRssBytes"] > 0
    assert facets["trackline_environment"]["python"]
    (model,) = [o for o in train["outputs"] if o["name"].endswith("model.pkl")]
    assert model["namespace"] == "file" and model["name"].startswith("/")
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    digest = model["facets"]["trackline_artifact"]["digest"]
    assert model["facets"]["version"]["datasetVersion"] == f"sha256:{digest}"
    assert model["facets"]["trackline_modelVersion"]["versions"][0]["name"] == "churn"
    assert model["facets"]["trackline_gateDecision"]["decisions"][0]["verdict"] == "pass"
    clean = done["churn.clean"]
    (raw,) = clean["inputs"]
    assert raw["namespace"] == "file" and raw["name"].endswith("/raw.csv")
    fields = raw["facets"]["schema"]["fields"]
    assert [f["name"] for f in fields] == ["x", "y"]
    frame = clean["outputs"][0]
    assert frame["namespace"] == "trackline" and frame["name"].startswith("sha256:")
    # the run facet names the trackline record it came from
    run = store.list_runs(RunQuery(name="train"))[0]
    assert facets["trackline_run"]["id"] == run.id


def test_evaluation_facet_on_the_run_that_recorded_it(recorded):
    """Evaluations logged with a run id show on that run's terminal event."""
    import trackline

    store = recorded["store"]
    train = store.get_run(store.list_runs(RunQuery(name="train"))[0].id)
    model_ref = next(o for o in train.outputs if o.kind == "model")
    mv = trackline.register_model("churn", model_ref.digest, store=store)
    trackline.log_evaluation(
        mv,
        dataset=recorded["home"] / "holdout.csv",
        metrics={"auc": 0.8},
        run=train.id,
        store=store,
    )
    events = events_for(store, "task_run", train.id, "ml")
    (ev,) = events[1].run.facets["trackline_evaluation"].evaluations
    assert ev["metrics"] == {"auc": 0.8} and ev["modelDigest"] == model_ref.digest
    validate_event(Serde.to_dict(events[1]))


def test_the_validators_refuse_what_the_schemas_forbid(recorded):
    """The checks above have teeth: a facet without producer, a metric without a value."""
    import copy

    import pytest
    from jsonschema import ValidationError

    event = next(e for e in _export(recorded) if "trackline_metrics" in e["run"]["facets"])
    no_producer = copy.deepcopy(event)
    del no_producer["run"]["facets"]["processing_engine"]["_producer"]
    with pytest.raises(ValidationError):
        validate_event(no_producer)
    bad_metric = copy.deepcopy(event)
    del bad_metric["run"]["facets"]["trackline_metrics"]["metrics"][0]["value"]
    with pytest.raises(ValidationError):
        validate_event(bad_metric)
    bad_uuid = copy.deepcopy(event)
    bad_uuid["eventType"] = "FINISHED"
    with pytest.raises(ValidationError):
        validate_event(bad_uuid)
