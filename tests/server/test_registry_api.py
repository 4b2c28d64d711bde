"""The model registry through the team server: every endpoint with every role, the server's own
checks (actor, re-checked decisions, promotion only on a passing decision), the audit chain."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from trackline import log_evaluation, register_model
from trackline.audit import verify_audit
from trackline.errors import Conflict, InvalidInput, PermissionDenied, PromotionRefused
from trackline.gates import check_gate, promote
from trackline.gates.policy import parse_policy
from trackline.registry import resolve_model
from trackline.store.http import HttpStore

from .conftest import POLICY

ROLES = ("reader", "writer", "approver", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}


def _call(server, method: str, path: str, role: str | None, **kw) -> requests.Response:
    headers = server.headers(role) if role else {}
    return requests.request(
        method, server.url + "/api/v1" + path, headers=headers, timeout=30, **kw
    )


def _endpoints(reg: dict) -> list[tuple[str, str, str, dict]]:
    v1 = reg["versions"]["first"]
    d = reg["decision"]
    ev = log_body(v1, reg)
    return [
        ("GET", "/models", "reader", {}),
        ("GET", "/models/churn/versions", "reader", {}),
        ("GET", "/models/churn/versions/1", "reader", {}),
        ("GET", f"/model-versions?digest={v1.digest}", "reader", {}),
        ("GET", "/models/churn/aliases", "reader", {}),
        ("GET", f"/evaluations?model_digest={v1.digest}", "reader", {}),
        ("GET", f"/gate-decisions?model_digest={v1.digest}", "reader", {}),
        ("GET", f"/gate-decisions/{d.id}", "reader", {}),
        ("GET", "/audit/entries?model=churn", "reader", {}),
        ("GET", "/audit/head", "reader", {}),
        ("GET", "/audit/verify", "reader", {}),
        (
            "POST",
            "/audit/entries",
            "reader",
            {
                "json": {
                    "action": "model.verified",
                    "model": "churn",
                    "version": 1,
                    "data": {"ok": True},
                }
            },
        ),
        (
            "POST",
            "/models/churn/versions",
            "writer",
            {"json": {"artifact": {"digest": v1.digest, "kind": "model"}}},
        ),
        ("PATCH", "/models/churn/versions/1", "writer", {"json": {"tags": {"reviewed": "yes"}}}),
        ("POST", "/evaluations", "writer", {"json": ev}),
        (
            "POST",
            "/audit/entries",
            "writer",
            {"json": {"action": "promotion.refused", "model": "churn", "version": 2}},
        ),
        ("POST", "/gate-decisions", "approver", {"json": d.model_dump(mode="json")}),
        ("POST", "/models/churn/versions/1/gate", "approver", {"json": {"policy": POLICY}}),
        (
            "PUT",
            "/models/churn/aliases/matrix",
            "approver",
            {"json": {"version": 1, "decision_id": d.id}},
        ),
        (
            "POST",
            "/models/churn/versions/1/promote",
            "approver",
            {"json": {"alias": "matrix", "decision_id": d.id}},
        ),
    ]


def log_body(mv, reg: dict) -> dict:
    data = reg["writer"].list_evaluations(model_digest=mv.digest)[0]
    return {
        "evaluation": {
            "id": uuid.uuid4().hex,
            "model_name": "churn",
            "model_version": mv.version,
            "model_digest": mv.digest,
            "dataset_digest": data.dataset_digest,
            "dataset_name": "holdout",
            "metrics": {"accuracy": 0.91},
        }
    }


def test_registry_endpoints_every_role(server, registry):
    spec = requests.get(server.url + "/openapi.json", timeout=30).json()["paths"]
    for path in (
        "/models",
        "/models/{name}/versions/{version}",
        "/models/{name}/aliases/{alias}",
        "/evaluations",
        "/gate-decisions",
        "/models/{name}/versions/{version}/promote",
        "/audit/entries",
        "/audit/head",
        "/audit/verify",
    ):
        assert "/api/v1" + path in spec, path
    for method, path, least, kw in _endpoints(registry):
        anon = _call(server, method, path, None, **kw)
        assert anon.status_code == 401, (method, path, anon.text)
        for role in ROLES:
            resp = _call(server, method, path, role, **kw)
            if RANK[role] >= RANK[least]:
                assert resp.status_code in (200, 201), (method, path, role, resp.text)
            else:
                assert resp.status_code == 403, (method, path, role, resp.text)
                assert resp.json()["error"]["code"] == "permission_denied"
    denied = _call(
        server, "GET", "/audit?outcome=denied&actor=reader-bot&limit=1000", "reader"
    ).json()
    # The action is the route's template (bounded, groups denials); the path is the target.
    assert {"PUT /api/v1/models/{name}/aliases/{alias}", "POST /api/v1/evaluations"} <= {
        e["action"] for e in denied
    }
    assert "/api/v1/models/churn/aliases/matrix" in {e["target"] for e in denied}


def test_the_server_records_token_names_and_registers_idempotently(server, registry):
    writer = registry["writer"]
    v1, v2 = registry["versions"]["first"], registry["versions"]["second"]
    assert (v1.version, v2.version) == (1, 2) and v1.actor == v2.actor == "writer-bot"
    assert v1.run_id and v1.metadata == {"team": "first"}
    again = register_model("churn", v1.digest, run=v1.run_id, store=writer)
    assert again.version == 1
    assert registry["decision"].actor == "approver-bot" and registry["decision"].passed
    assert registry["move"].actor == "approver-bot" and registry["move"].previous is None
    assert resolve_model("churn@production", store=writer).version == 1
    evals = writer.list_evaluations(model_digest=v1.digest)
    assert evals and all(e.actor == "writer-bot" for e in evals)
    # The version's lineage is its artifact's: the train run and the data it read.
    graph = writer.lineage(v1.digest, "upstream")
    assert {"train", "prepare"} <= {n.name for n in graph.nodes if n.type == "task_run"}
    versions = _call(server, "GET", f"/model-versions?digest={v1.digest[:16]}", "reader").json()
    # Other tests on this shared server may register the same bytes under their own names.
    assert ("churn", 1) in [(v["name"], v["version"]) for v in versions]
    assert {v["digest"] for v in versions} == {v1.digest}
    churn = [v for v in versions if v["name"] == "churn"]
    assert len(churn) == 1 and "production" in churn[0]["aliases"]
    same = writer.model_versions_with_digest(v1.digest)
    assert [v.ref for v in same if v.name == "churn"] == [v1.ref]
    assert {v.digest for v in same} == {v1.digest}


def test_bad_registry_input_gets_clear_4xx(server, registry):
    v1 = registry["versions"]["first"]
    nan = log_body(v1, registry)
    nan["evaluation"]["metrics"] = {"accuracy": "high"}
    bad = _call(server, "POST", "/evaluations", "writer", json=nan)
    assert bad.status_code == 422 and "accuracy" in bad.json()["error"]["message"]
    wrong = log_body(v1, registry)
    wrong["evaluation"]["model_version"] = 2
    resp = _call(server, "POST", "/evaluations", "writer", json=wrong)
    assert resp.status_code == 422 and "churn/2" in resp.json()["error"]["message"]
    assert _call(server, "GET", "/models/nope/versions", "reader").status_code == 404
    assert _call(server, "GET", "/models/churn/versions/99", "reader").status_code == 404
    assert _call(server, "GET", "/models/bad'name/versions", "reader").status_code == 422
    assert (
        _call(server, "GET", "/evaluations?model_digest=' OR 1=1 --", "reader").status_code == 422
    )
    bad_policy = _call(
        server,
        "POST",
        "/models/churn/versions/1/gate",
        "approver",
        json={"policy": {"name": "p", "rules": [{"metric": "accuracy", "min": 0.5}]}},
    )
    assert (
        bad_policy.status_code in (400, 422) and "rules[0]" in bad_policy.json()["error"]["message"]
    )
    with pytest.raises(InvalidInput):
        log_evaluation(
            "churn/1",
            dataset=nan["evaluation"]["dataset_digest"],
            metrics={"a": float("nan")},
            store=registry["writer"],
        )


def test_the_server_rechecks_decisions_and_refuses_promotions_without_a_pass(server, registry):
    approver = registry["approver"]
    v2 = registry["versions"]["second"]
    honest = check_gate("churn", registry["policy"], 2, store=approver)
    assert not honest.passed and honest.actor == "approver-bot"
    forged = honest.model_copy(
        update={
            "id": uuid.uuid4().hex,
            "verdict": "pass",
            "results": [r.model_copy(update={"passed": True}) for r in honest.results],
        }
    )
    recorded = approver.write_decision(forged)
    assert recorded.id == forged.id and recorded.verdict == "fail"  # the server's own check counts
    with pytest.raises(PromotionRefused, match="failed"):
        approver.move_alias("churn", "production", 2, actor="me", decision_id=forged.id)
    with pytest.raises(PromotionRefused):
        promote("churn", 2, alias="production", store=approver)
    # A writer cannot move aliases even with a passing decision.
    with pytest.raises(PermissionDenied):
        registry["writer"].move_alias(
            "churn", "staging", 1, actor="me", decision_id=registry["decision"].id
        )
    assert resolve_model("churn@production", store=approver).version == 1
    refused = [e for e in approver.audit_entries(model="churn") if e.action == "promotion.refused"]
    mine = [e for e in refused if e.data.get("digest") == v2.digest]
    assert len(mine) >= 2 and {e.actor for e in mine} == {"approver-bot"}  # never the client's "me"


def test_racing_promotions_through_the_server_leave_one_winner(server, registry, tmp_path):
    writer, approver = registry["writer"], registry["approver"]
    first = registry["versions"]["first"]
    data = writer.list_evaluations(model_digest=first.digest)[0].dataset_digest
    name = f"race-{uuid.uuid4().hex[:6]}"
    policy = parse_policy({**POLICY, "rules": POLICY["rules"][:2]})  # no run: no lineage rule
    decisions = []
    for i in range(2):
        model = tmp_path / f"m{i}.bin"
        model.write_bytes(f"model {i}".encode())
        mv = register_model(name, model, store=writer)
        log_evaluation(
            mv, dataset=data, dataset_name="holdout", metrics={"accuracy": 0.95}, store=writer
        )
        decisions.append(check_gate(mv, policy, store=approver))
    assert [(d.verdict, d.incumbents) for d in decisions] == [("pass", {"production": None})] * 2
    barrier, outcomes = threading.Barrier(2), {}

    def attempt(i: int) -> None:
        store = HttpStore(server.url, token=server.tokens["approver"])  # own connection pool
        barrier.wait()
        try:
            outcomes[i] = promote(
                name, i + 1, alias="production", decision=decisions[i], store=store
            )
        except Conflict as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes.values() if not isinstance(o, Exception)]
    losers = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert approver.get_aliases(name) == {"production": winners[0].version}
    actions = [e.action for e in approver.audit_entries(model=name)]
    assert actions.count("alias.moved") == 1 and actions.count("promotion.conflict") == 1


def test_server_events_are_in_the_verified_chain(server, registry):
    requests.get(server.url + "/api/v1/models", timeout=30)  # anonymous: denied and audited
    reader = HttpStore(server.url, token=server.tokens["reader"])
    report = verify_audit(store=reader)
    assert report.ok, report.problems
    entries = reader.audit_entries()
    assert any(
        e.actor == "anonymous"
        and e.action == "GET /api/v1/models"
        and e.data["outcome"] == "denied"
        for e in entries
    )
    assert {"model.registered", "gate.decision", "alias.moved"} <= {e.action for e in entries}
    assert _call(server, "GET", "/audit/verify", "reader").json()["ok"] is True
    events = _call(server, "GET", "/audit?model=churn&action=alias.moved", "reader").json()
    assert events and events[0]["target"].startswith("churn/") and events[0]["outcome"] == "allowed"
