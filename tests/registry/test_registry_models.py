"""Registering versions, resolving references, tags, and lineage from a version to its data."""

from __future__ import annotations

import json
import pickle

import pytest

import trackline
from trackline.errors import InvalidInput, NotFound


def test_tracked_registration_links_run_and_lineage(train, use_store):
    mv = train(0)
    assert (mv.name, mv.version) == ("churn", 1)
    assert mv.run_id and mv.kind == "model" and mv.uri.endswith("model-0.pkl")
    assert mv.metadata == {"framework": "pickle"}
    client = trackline.connect()
    run = client.run(mv.run_id)
    assert run.name == "train" and run.status == "success"
    assert mv.digest in {o.digest for o in run.outputs}
    upstream = client.lineage(mv.digest, "upstream")
    names = {n.name for n in upstream.nodes if n.type == "artifact"}
    train_digest = next(i.digest for i in run.inputs if i.name == "data")
    assert train_digest in {n.id for n in upstream.nodes}, names


def test_versions_number_per_name_and_same_bytes_are_idempotent(train, workdir, use_store):
    v1, v2 = train(1), train(2)
    assert (v1.version, v2.version) == (1, 2)
    again = trackline.register_model("churn", workdir / "model-1.pkl")
    assert again.version == 1 and again.digest == v1.digest
    other = trackline.register_model("fraud", workdir / "model-1.pkl")
    assert other.version == 1
    assert [m.name for m in trackline.list_models()] == ["churn", "fraud"]
    # From bytes back to the registry: every version of any model whose artifact they are.
    store = trackline.connect().registry
    found = store.model_versions_with_digest(v1.digest)
    assert [(v.name, v.version) for v in found] == [("churn", 1), ("fraud", 1)]
    assert [v.ref for v in store.model_versions_with_digest(v2.digest[:12])] == [v2.ref]
    assert store.model_versions_with_digest("0" * 64) == []


def test_register_object_and_digest_outside_a_run(use_store, workdir):
    class Model:
        def fit(self):
            return self

        def predict(self):
            return 1

    obj = trackline.register_model("obj", {"weights": [1, 2, 3]})
    assert obj.run_id is None and obj.kind == "model"
    by_digest = trackline.register_model("copy", obj.digest[:16])
    assert by_digest.digest == obj.digest
    with pytest.raises(InvalidInput, match="neither an existing path nor an artifact digest"):
        trackline.register_model("x", "no-such-file.pkl")
    with pytest.raises(InvalidInput, match="invalid model name"):
        trackline.register_model("bad/name", obj.digest)
    with pytest.raises(NotFound):
        trackline.register_model("x", "ab" * 32)


def test_references_resolve(train, use_store):
    train(1)
    train(2)
    assert trackline.resolve_model("churn").version == 2
    assert trackline.resolve_model("churn@latest").version == 2
    assert trackline.resolve_model("churn/1").version == 1
    assert trackline.resolve_model("churn", 1).version == 1
    with pytest.raises(NotFound, match="points at no version"):
        trackline.resolve_model("churn@production")
    with pytest.raises(NotFound, match="no version 9"):
        trackline.resolve_model("churn/9")
    with pytest.raises(NotFound, match="no model named 'nope'"):
        trackline.resolve_model("nope@production")
    with pytest.raises(InvalidInput):
        trackline.resolve_model("churn/zero")


def test_tags_description_and_cli(train, invoke, use_store, workdir):
    train(1)
    from trackline.registry import update_model

    mv = update_model("churn/1", description="baseline", tags={"team": "growth"})
    assert mv.description == "baseline" and mv.tags == {"team": "growth"}
    res = invoke("models", "tag", "churn/1", "team=", "stage=candidate", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["tags"] == {"stage": "candidate"}
    res = invoke("models", "list", "--json")
    assert json.loads(res.output)[0]["name"] == "churn"
    res = invoke("models", "show", "churn", "--json")
    assert [v["version"] for v in json.loads(res.output)["versions"]] == [1]
    res = invoke("models", "show", "churn/1", "--json")
    assert json.loads(res.output)["version"]["description"] == "baseline"
    (workdir / "m.bin").write_bytes(pickle.dumps("x"))
    res = invoke("models", "register", "cli-model", "m.bin", "--tag", "k=v", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["tags"] == {"k": "v"}
    actions = [e.action for e in trackline.audit_log()]
    assert actions.count("model.registered") == 2 and actions.count("model.updated") == 2
