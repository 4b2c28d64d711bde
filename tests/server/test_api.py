"""Every endpoint with every role, against a real server (two uvicorn workers on PostgreSQL)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import sqlalchemy as sa

from trackline.store.sql.engine import create_engine

from .records import body, pipeline_run, task_run

ROLES = ("reader", "writer", "approver", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}


def _call(server, method: str, path: str, role: str | None, **kw) -> requests.Response:
    headers = {**(server.headers(role) if role else {}), **kw.pop("headers", {})}
    return requests.request(method, server.url + path, headers=headers, timeout=30, **kw)


def _endpoints(rec: dict) -> list[tuple[str, str, str, dict]]:
    """(method, path, least role, request kwargs) for every API endpoint."""
    a = rec["first"]["task_runs"]["train"]
    b = rec["second"]["task_runs"]["train"]
    pipe = rec["first"]["pipeline_run_id"]
    t = task_run()
    p = pipeline_run()
    return [
        ("GET", "/api/v1/runs", "reader", {}),
        ("GET", f"/api/v1/runs/{a}", "reader", {}),
        ("GET", f"/api/v1/diff?a={a}&b={b}", "reader", {}),
        ("GET", "/api/v1/pipeline-runs", "reader", {}),
        ("GET", f"/api/v1/pipeline-runs/{pipe}", "reader", {}),
        ("GET", "/api/v1/artifacts", "reader", {}),
        ("GET", f"/api/v1/lineage/{a}?direction=both&depth=2", "reader", {}),
        ("GET", "/api/v1/audit", "reader", {}),
        ("GET", "/api/v1/whoami", "reader", {}),
        ("POST", "/api/v1/reap", "reader", {"json": {}}),
        ("POST", "/api/v1/task-runs", "writer", {"json": body(t)}),
        ("POST", "/api/v1/pipeline-runs", "writer", {"json": p.model_dump(mode="json")}),
        (
            "POST",
            "/api/v1/batch",
            "writer",
            {"json": {"pipeline_runs": [p.model_dump(mode="json")], "task_runs": [body(t)]}},
        ),
        (
            "POST",
            "/api/v1/heartbeat",
            "writer",
            {
                "json": {
                    "task_run_ids": [t.id],
                    "pipeline_run_ids": [],
                    "at": "2026-01-01T00:00:00Z",
                }
            },
        ),
        ("GET", "/api/v1/tokens", "admin", {}),
        (
            "POST",
            "/api/v1/tokens",
            "admin",
            {"json": {"name": f"matrix-{uuid.uuid4().hex[:8]}", "role": "reader"}},
        ),
    ]


def test_health_and_openapi_need_no_token(server):
    health = requests.get(server.url + "/healthz", timeout=30)
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["store"] == "postgresql"
    spec = requests.get(server.url + "/openapi.json", timeout=30).json()
    for path in (
        "/api/v1/runs",
        "/api/v1/runs/{ref}",
        "/api/v1/task-runs",
        "/api/v1/batch",
        "/api/v1/lineage/{ref}",
        "/api/v1/tokens",
        "/api/v1/audit",
    ):
        assert path in spec["paths"], path


def test_every_endpoint_every_role(server, recorded):
    for method, path, least, kw in _endpoints(recorded):
        anon = _call(server, method, path, None, **kw)
        assert anon.status_code == 401, (method, path, anon.text)
        assert anon.json()["error"]["code"] == "unauthenticated"
        assert "Bearer" in anon.json()["error"]["message"]
        for role in ROLES:
            resp = _call(server, method, path, role, **kw)
            if RANK[role] >= RANK[least]:
                assert resp.status_code in (200, 201, 204), (method, path, role, resp.text)
            else:
                assert resp.status_code == 403, (method, path, role, resp.text)
                err = resp.json()["error"]
                assert err["code"] == "permission_denied"
                assert (
                    f"role '{role}'" in err["message"] and f"needs role '{least}'" in err["message"]
                )


def test_only_admins_revoke_tokens(server):
    name = f"victim-{uuid.uuid4().hex[:8]}"
    assert (
        _call(
            server, "POST", "/api/v1/tokens", "admin", json={"name": name, "role": "reader"}
        ).status_code
        == 201
    )
    assert _call(server, "DELETE", f"/api/v1/tokens/{name}", None).status_code == 401
    for role in ("reader", "writer", "approver"):
        assert _call(server, "DELETE", f"/api/v1/tokens/{name}", role).status_code == 403
    assert _call(server, "DELETE", f"/api/v1/tokens/{name}", "admin").status_code == 200


def test_read_endpoints_return_recorded_pipeline(server, recorded):
    first = recorded["first"]
    train = first["task_runs"]["train"]
    runs = _call(
        server, "GET", f"/api/v1/runs?pipeline_run_id={first['pipeline_run_id']}", "reader"
    ).json()
    assert sorted(r["name"] for r in runs) == ["evaluate", "prepare", "train"]
    run = _call(server, "GET", f"/api/v1/runs/{train[:10]}", "reader").json()  # unique prefix
    assert run["id"] == train and run["params"]["lr"] == 0.1 and run["params"]["epochs"] == 12
    assert sorted({m["key"] for m in run["metrics"]}) == ["accuracy", "loss"]
    assert len([m for m in run["metrics"] if m["key"] == "loss"]) == 12
    assert run["resources"]["samples"], "train burns CPU long enough to be sampled"
    assert run["environment"]["python"]
    digest = run["outputs"][0]["digest"]
    art = _call(server, "GET", f"/api/v1/artifacts/{digest}", "reader").json()
    assert art["digest"] == digest
    graph = _call(server, "GET", f"/api/v1/lineage/{train}?direction=upstream", "reader").json()
    names = {n["name"] for n in graph["nodes"] if n["type"] == "task_run"}
    assert {"train", "prepare"} <= names and "evaluate" not in names
    down = _call(
        server, "GET", f"/api/v1/lineage/{train}?direction=downstream&depth=2", "reader"
    ).json()
    assert "evaluate" in {n["name"] for n in down["nodes"]}
    diff = _call(
        server,
        "GET",
        f"/api/v1/diff?a={train}&b={recorded['second']['task_runs']['train']}",
        "reader",
    ).json()
    assert any(c["key"] == "lr" and c["a"] == 0.1 and c["b"] == 0.3 for c in diff["params"])
    failed = _call(
        server, "GET", "/api/v1/runs?status=failed&pipeline=churn-model", "reader"
    ).json()
    assert [r["name"] for r in failed] == ["publish"]
    pipes = _call(server, "GET", "/api/v1/pipeline-runs?pipeline=churn-model", "reader").json()
    assert {p["id"] for p in pipes} >= {
        first["pipeline_run_id"],
        recorded["second"]["pipeline_run_id"],
    }


def _counts(server, run_id: str) -> tuple[int, int, int]:
    engine = create_engine(server.store)
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    sa.text(f"SELECT count(*) FROM {t} WHERE {c} = :id"), {"id": run_id}
                ).scalar()
                for t, c in (
                    ("task_runs", "id"),
                    ("metrics", "task_run_id"),
                    ("params", "task_run_id"),
                )
            )
    finally:
        engine.dispose()


def test_writes_are_idempotent_by_id(server):
    run = task_run()
    for _ in range(3):  # a client retrying the same request
        resp = _call(server, "POST", "/api/v1/task-runs", "writer", json=body(run))
        assert resp.json() == {"kind": "task_run", "id": run.id}
    assert _counts(server, run.id) == (1, 3, 2)
    stored = _call(server, "GET", f"/api/v1/runs/{run.id}", "reader").json()
    assert [m["value"] for m in sorted(stored["metrics"], key=lambda m: m["step"])] == [
        0.9,
        0.5,
        0.2,
    ]


def test_batch_writes_a_whole_pipeline_in_order(server):
    p = pipeline_run("batch-test")
    runs = [task_run(p.id, pipeline="batch-test") for _ in range(3)]
    payload = {"pipeline_runs": [p.model_dump(mode="json")], "task_runs": [body(r) for r in runs]}
    first = _call(server, "POST", "/api/v1/batch", "writer", json=payload).json()
    assert first["written"] == [{"kind": "pipeline_run", "id": p.id}] + [
        {"kind": "task_run", "id": r.id} for r in runs
    ]
    _call(
        server, "POST", "/api/v1/batch", "writer", json=payload
    )  # resent whole: still no duplicates
    listed = _call(server, "GET", f"/api/v1/runs?pipeline_run_id={p.id}", "reader").json()
    assert sorted(r["id"] for r in listed) == sorted(r.id for r in runs)
    for r in runs:
        assert _counts(server, r.id) == (1, 3, 2)


def _stale_running_run(server):
    """A ``running`` run whose last heartbeat (2020) is long past the server's 60 s policy."""
    run = task_run()
    run.status, run.ended_at = "running", None
    _call(server, "POST", "/api/v1/task-runs", "writer", json=body(run))
    beat = _call(
        server,
        "POST",
        "/api/v1/heartbeat",
        "writer",
        json={"task_run_ids": [run.id], "pipeline_run_ids": [], "at": "2020-01-01T00:00:00Z"},
    )
    assert beat.status_code == 204
    return run


def test_heartbeat_and_reap(server):
    run = _stale_running_run(server)
    # A reader cannot reap ahead of the server's policy; a writer can name the cut-off.
    reader = _call(
        server, "POST", "/api/v1/reap", "reader", json={"stale_before": "2999-01-01T00:00:00Z"}
    ).json()
    assert (
        run.id in reader["reaped"]
    )  # its heartbeat (2020) is past the server's 60 s policy anyway
    assert _call(server, "GET", f"/api/v1/runs/{run.id}", "reader").json()["status"] == "crashed"
    fresh = task_run()
    fresh.status, fresh.ended_at = "running", None
    _call(server, "POST", "/api/v1/task-runs", "writer", json=body(fresh))
    assert (
        fresh.id
        not in _call(
            server, "POST", "/api/v1/reap", "reader", json={"stale_before": "2999-01-01T00:00:00Z"}
        ).json()["reaped"]
    )
    assert (
        fresh.id
        in _call(
            server, "POST", "/api/v1/reap", "writer", json={"stale_before": "2999-01-01T00:00:00Z"}
        ).json()["reaped"]
    )


def test_tokens_over_the_api_and_revocation(server):
    name = f"ci-{uuid.uuid4().hex[:6]}"
    created = _call(
        server, "POST", "/api/v1/tokens", "admin", json={"name": name, "role": "writer"}
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert created.json()["info"]["role"] == "writer" and secret.startswith("tl_")
    listed = _call(server, "GET", "/api/v1/tokens", "admin").json()
    assert any(t["name"] == name and t["revoked_at"] is None for t in listed)
    assert all("token_hash" not in t and "token" not in t for t in listed)
    me = requests.get(
        server.url + "/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}, timeout=30
    ).json()
    assert me == {"name": name, "role": "writer", "anonymous": False}
    dup = _call(server, "POST", "/api/v1/tokens", "admin", json={"name": name, "role": "reader"})
    assert dup.status_code == 409 and "revoke it first" in dup.json()["error"]["message"]
    bad_role = _call(server, "POST", "/api/v1/tokens", "admin", json={"name": "x", "role": "root"})
    assert (
        bad_role.status_code == 422 and "unknown role 'root'" in bad_role.json()["error"]["message"]
    )
    revoked = _call(server, "DELETE", f"/api/v1/tokens/{name}", "admin").json()
    assert [t["name"] for t in revoked] == [name]
    after = requests.get(
        server.url + "/api/v1/runs", headers={"Authorization": f"Bearer {secret}"}, timeout=30
    )
    assert after.status_code == 401 and "revoked" in after.json()["error"]["message"]
    assert _call(server, "DELETE", f"/api/v1/tokens/{name}", "admin").status_code == 404
    audit = _call(server, "GET", "/api/v1/audit?actor=admin-bot", "reader").json()
    actions = {(e["action"], e["target"]) for e in audit}
    assert ("token.create", name) in actions and ("token.revoke", name) in actions
    [last] = _call(
        server, "GET", "/api/v1/audit/entries?actor=admin-bot&action=token.revoke&limit=1", "reader"
    ).json()
    assert (last["actor"], last["action"], last["data"]["target"]) == (
        "admin-bot",
        "token.revoke",
        name,
    )
    older = _call(
        server, "GET", f"/api/v1/audit/entries?actor=admin-bot&before={last['seq']}", "reader"
    ).json()
    assert older and all(e["seq"] < last["seq"] and e["actor"] == "admin-bot" for e in older)


def test_denied_actions_are_audited_with_the_token_name(server):
    marker = f"/api/v1/runs/{uuid.uuid4().hex}"
    _call(server, "POST", "/api/v1/task-runs", "reader", json=body(task_run()))
    _call(server, "GET", "/api/v1/tokens", "approver")
    _call(server, "GET", marker, None)
    requests.get(
        server.url + "/api/v1/runs",
        headers={"Authorization": "Bearer tl_not-a-real-token"},
        timeout=30,
    )
    denied = _call(server, "GET", "/api/v1/audit?outcome=denied&limit=1000", "reader").json()
    seen = {(e["actor"], e["action"]) for e in denied}
    assert ("reader-bot", "POST /api/v1/task-runs") in seen
    assert ("approver-bot", "GET /api/v1/tokens") in seen
    # Denials are sampled per actor and route per minute: this one may be counted in an entry
    # written for the same route (``/runs/{ref}``) moments earlier.
    assert any(a == "anonymous" and x.startswith("GET /api/v1/runs/") for a, x in seen)
    assert ("invalid-token", "GET /api/v1/runs") in seen
    assert all(e["outcome"] == "denied" for e in denied)


def test_malformed_and_invalid_bodies(server):
    bad_json = _call(
        server,
        "POST",
        "/api/v1/task-runs",
        "writer",
        data=b'{"id": "x", ',
        headers={"Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["message"].startswith("malformed JSON body")
    missing = _call(server, "POST", "/api/v1/task-runs", "writer", json={"id": "abc"})
    assert missing.status_code == 422
    assert "body name: Field required" in missing.json()["error"]["message"]
    wrong_type = _call(
        server,
        "POST",
        "/api/v1/pipeline-runs",
        "writer",
        json={"id": "p", "pipeline": "x", "started_at": "yesterday"},
    )
    assert wrong_type.status_code == 422 and "started_at" in wrong_type.json()["error"]["message"]
    not_object = _call(server, "POST", "/api/v1/batch", "writer", json=[1, 2, 3])
    assert not_object.status_code == 422


def test_oversized_body_is_refused(server):
    huge = b'{"id": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    resp = _call(
        server,
        "POST",
        "/api/v1/task-runs",
        "writer",
        data=huge,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert "larger than the server's limit" in resp.json()["error"]["message"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(40):
            yield b"x" * (1024 * 1024)

    streamed = _call(
        server,
        "POST",
        "/api/v1/task-runs",
        "writer",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_unknown_ids_and_routes(server):
    for path in (
        "/api/v1/runs/0123456789abcdef",
        "/api/v1/pipeline-runs/nope",
        "/api/v1/artifacts/nope",
        "/api/v1/lineage/nope",
    ):
        resp = _call(server, "GET", path, "reader")
        assert resp.status_code == 404, path
        assert (
            resp.json()["error"]["code"] == "not_found"
            and "nope" in resp.json()["error"]["message"]
            or "0123456789abcdef" in resp.json()["error"]["message"]
        )
    missing = _call(server, "GET", "/api/v1/no-such-thing", "reader")
    assert missing.status_code == 404 and "no such endpoint" in missing.json()["error"]["message"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("pipeline=x' OR '1'='1", "pipeline"),
        ("name=a; DROP TABLE task_runs; --", "name"),
        ("status=success' OR 1=1 --", "status"),
        ("pipeline_run_id=1 OR 1=1", "pipeline_run_id"),
        ("since=2020-01-01' OR '1'='1", "since"),
        ("limit=1; DELETE FROM task_runs", "limit"),
        ("order=newest; DROP TABLE x", "order"),
    ],
)
def test_injection_attempts_in_filters_get_a_clear_422(server, recorded, query, field):
    resp = _call(server, "GET", f"/api/v1/runs?{query}", "reader")
    assert resp.status_code == 422, resp.text
    err = resp.json()["error"]
    assert err["code"] == "invalid_input" and f"query {field}" in err["message"]


def test_injection_attempts_in_paths_and_other_filters(server, recorded):
    for path in (
        "/api/v1/runs/' OR '1'='1",
        "/api/v1/artifacts/x' UNION SELECT 1 --",
        "/api/v1/lineage/1;DROP TABLE events",
    ):
        assert _call(server, "GET", path, "reader").status_code == 404
    assert (
        _call(server, "GET", "/api/v1/lineage/abc?direction=sideways", "reader").status_code == 422
    )
    assert _call(server, "GET", "/api/v1/lineage/abc?depth=-1", "reader").status_code == 422
    assert _call(server, "GET", "/api/v1/artifacts?kind=model' OR 1=1", "reader").status_code == 422
    assert _call(server, "GET", '/api/v1/pipeline-runs?pipeline=a"b', "reader").status_code == 422
    # Nothing was dropped: the recorded pipeline is still all there.
    runs = _call(
        server,
        "GET",
        f"/api/v1/runs?pipeline_run_id={recorded['first']['pipeline_run_id']}",
        "reader",
    )
    assert len(runs.json()) == 3


def test_whoami_reports_the_token(server):
    for role in ROLES:
        me = _call(server, "GET", "/api/v1/whoami", role).json()
        assert me == {"name": f"{role}-bot", "role": role, "anonymous": False}
    bad = requests.get(
        server.url + "/api/v1/whoami", headers={"Authorization": "Basic Zm9vOmJhcg=="}, timeout=30
    )
    assert (
        bad.status_code == 401
        and "malformed Authorization header" in bad.json()["error"]["message"]
    )
    assert json.loads(bad.text)["error"]["code"] == "unauthenticated"


def test_looking_up_a_run_whose_lease_expired_shows_it_crashed(server):
    """GET /runs/{id} reaps a ``running`` run past the server's policy, as listing runs does:
    before, the run page showed it running until someone listed runs."""
    run = _stale_running_run(server)
    assert _call(server, "GET", f"/api/v1/runs/{run.id}", "reader").json()["status"] == "crashed"
