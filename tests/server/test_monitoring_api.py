"""Monitoring through the team server: drift checks, windows of a task's data and the trigger
bookkeeping over HTTP, the same records in the SQL store behind the server, roles and audit, and
a trigger policy evaluated end to end against the server (a real webhook receiver)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
import requests
import yaml
from click.testing import CliRunner

import trackline
from trackline.cli.main import cli
from trackline.errors import PermissionDenied, Unauthenticated
from trackline.model.monitoring import DataRef, DriftReport, TriggerFiring
from trackline.model.runs import utcnow
from trackline.monitoring.triggers import evaluate_policy, parse_policy
from trackline.store.http import HttpStore
from trackline.store.sql.store import SqlStore


@trackline.tracked_task(name="mon_train")
def train(data: pd.DataFrame) -> int:
    return len(data)


@trackline.tracked_task(name="mon_score")
def score(batch: pd.DataFrame) -> int:
    return len(batch)


def _batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1, n),
            "y": rng.normal(shift, 1, n),
            "c": np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
        }
    )


def _env(server, home, role: str = "writer") -> dict[str, str]:
    return {
        "TRACKLINE_STORE": server.url,
        "TRACKLINE_TOKEN": server.tokens[role],
        "TRACKLINE_HOME": str(home),
        "TRACKLINE_STRICT": "1",
        "TRACKLINE_CAPTURE_ENVIRONMENT": "0",
    }


@pytest.fixture
def as_writer(server, monkeypatch, tmp_path):
    """Tracked code and ``trackline.*`` calls in this process go to the server as the writer."""
    env = _env(server, tmp_path / "client")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="module")
def scored(server, tmp_path_factory) -> dict:
    """Training data and three scoring batches (the last one shifted), tracked through the
    server."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(server, tmp_path_factory.mktemp("mon-client")).items():
            mp.setenv(key, value)
        train(_batch(5_000, 1))
        score(_batch(2_000, 2))
        score(_batch(2_000, 3))
        score(_batch(2_000, 4, shift=1.5))
    sql = SqlStore(server.store)
    yield {
        "sql": sql,
        "reader": HttpStore(server.url, token=server.tokens["reader"]),
        "writer": HttpStore(server.url, token=server.tokens["writer"]),
    }
    sql.close()


def test_drift_check_through_server_is_stored_behind_it(server, scored, as_writer):
    assert isinstance(trackline.connect().store.backend, HttpStore)
    report = trackline.check_drift("task:mon_train/data", "task:mon_score/batch@last")
    assert report.drifted and report.share >= 2 / 3 and report.run_id and report.report_digest
    batch = report.current.digests[0]

    over_http = scored["reader"].get_drift_report(report.id[:12])
    in_sql = scored["sql"].get_drift_report(report.id)
    assert over_http.summary() == in_sql.summary() == report.summary()
    listed = scored["reader"].list_drift_reports(batch)
    assert report.id in [r.id for r in listed]
    assert all(batch in r.reference.digests + r.current.digests for r in listed)
    assert [r.id for r in listed] == [r.id for r in scored["sql"].list_drift_reports(batch)]

    check_run = scored["sql"].get_run(report.run_id)  # the check itself is a run in lineage
    assert check_run.name == "trackline.drift"
    assert {i.name for i in check_run.inputs} == {"drift.reference", "drift.current"}
    assert scored["sql"].get_artifact(report.report_digest).kind == "report"
    assert report.report_digest in {n.id for n in scored["sql"].lineage(batch, "downstream").nodes}


def test_drift_cli_against_server(server, scored, tmp_path):
    runner = CliRunner()
    out = runner.invoke(
        cli,
        ["drift", "task:mon_train/data", "task:mon_score/batch@last", "--json"],
        env=_env(server, tmp_path),
    )
    assert out.exit_code == 1, out.output  # 1: drift
    data = json.loads(out.output)
    assert data["drifted"] is True and {c["column"] for c in data["columns"]} == {"x", "y", "c"}
    assert scored["sql"].get_drift_report(data["id"]).run_id == data["run_id"]
    calm = runner.invoke(
        cli,
        ["drift", "task:mon_score/batch@last:3", "task:mon_score/batch@last:3", "--json"],
        env=_env(server, tmp_path),
    )
    assert calm.exit_code == 0, calm.output
    assert json.loads(calm.output)["share"] == 0.0
    shown = runner.invoke(
        cli, ["drift-reports", "--id", data["id"], "--json"], env=_env(server, tmp_path, "reader")
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["share"] == data["share"]
    listed = runner.invoke(
        cli,
        ["drift-reports", "--artifact", data["current"]["digests"][0], "--json"],
        env=_env(server, tmp_path, "reader"),
    )
    assert listed.exit_code == 0 and data["id"] in {r["id"] for r in json.loads(listed.output)}


def test_window_artifacts_match_the_sql_store(scored):
    http, sql = scored["reader"], scored["sql"]
    items = http.window_artifacts("mon_score", "input", "batch", None, None)
    assert len(items) == 3 and len({run for run, *_ in items}) == 3
    assert [it[2] for it in items] == sorted((it[2] for it in items), reverse=True)  # newest first
    assert all(slot == "batch" and art.profile["rows"] == 2_000 for _, slot, _, art in items)

    def plain(found):
        return [(run, slot, started, art.digest, art.profile) for run, slot, started, art in found]

    assert plain(items) == plain(sql.window_artifacts("mon_score", "input", "batch", None, None))
    since, until = items[1][2], items[0][2]
    window = http.window_artifacts("mon_score", "input", None, since, until)
    assert [it[0] for it in window] == [items[1][0]]
    assert plain(window) == plain(sql.window_artifacts("mon_score", "input", None, since, until))
    assert http.window_artifacts("mon_score", "output", "batch", None, None) == []
    assert http.window_artifacts("no-such-task", "input", None, None, None) == []


def test_episode_and_firing_compare_and_set(server, scored):
    key, now = f"cas-{uuid.uuid4().hex[:8]}/rule", utcnow()
    stores = [HttpStore(server.url, token=server.tokens["writer"]) for _ in range(4)]
    results: dict[str, bool] = {}
    barrier = threading.Barrier(len(stores))

    def open_one(i: int, store: HttpStore) -> None:
        barrier.wait()
        results[f"ep{i}"] = store.open_episode(key, f"ep{i}", now)

    threads = [threading.Thread(target=open_one, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [ep for ep, won in results.items() if won]
    assert len(results) == 4 and len(winners) == 1
    assert scored["reader"].current_episode(key) == winners[0] == scored["sql"].current_episode(key)
    assert stores[0].open_episode(key, "late", now) is False

    fkey = f"{key}/{winners[0]}"
    first = TriggerFiring(
        id=uuid.uuid4().hex,
        key=fkey,
        policy=key.split("/")[0],
        rule="rule",
        episode=winners[0],
        created_at=now,
    )
    second = first.model_copy(update={"id": uuid.uuid4().hex})
    assert (stores[1].claim_firing(first), stores[2].claim_firing(second)) == (True, False)
    assert scored["reader"].get_firing(fkey).id == first.id == scored["sql"].get_firing(fkey).id
    assert scored["reader"].get_firing(f"{fkey}/none") is None

    first.status, first.error, first.finished_at = "failed", "receiver down", utcnow()
    stores[1].finish_firing(first)
    stores[1].finish_firing(first)  # a repeated outcome is stored and audited once
    retry = first.model_copy(
        update={"id": uuid.uuid4().hex, "status": "claimed", "error": None, "finished_at": None}
    )
    assert (
        stores[3].claim_firing(retry) is True and retry.id == first.id
    )  # re-claimed: first id kept
    assert stores[0].claim_firing(second) is False
    retry.status, retry.finished_at, retry.started = "fired", utcnow(), {"status": 200}
    stores[3].finish_firing(retry)

    policy = first.policy
    assert scored["reader"].last_firing(policy, "rule").started == {"status": 200}
    assert scored["reader"].last_firing(policy, "rule", ("failed",)) is None
    assert [f.status for f in scored["reader"].list_firings(policy)] == ["fired"]
    assert scored["sql"].get_firing(fkey).status == "fired"
    audit = [e for e in scored["reader"].audit_entries(limit=200) if e.data.get("key") == fkey]
    assert [(e.action, e.actor) for e in audit] == [
        ("trigger.failed", "writer-bot"),
        ("trigger.fired", "writer-bot"),
    ]

    assert stores[0].close_episode(key, utcnow()) is True
    assert stores[1].close_episode(key, utcnow()) is False
    assert scored["sql"].current_episode(key) is None


def test_roles_and_tokens(server, scored):
    reader = scored["reader"]
    side = DataRef(ref="task:mon_score/batch", digests=[], rows=0)
    report = DriftReport(
        id=uuid.uuid4().hex,
        reference=side,
        current=side,
        drifted=False,
        share=0.0,
        share_threshold=0.5,
        columns=[],
    )
    with pytest.raises(PermissionDenied, match="needs role 'writer'"):
        reader.write_drift_report(report)
    with pytest.raises(PermissionDenied, match="needs role 'writer'"):
        reader.open_episode("roles/rule", "e", utcnow())
    with pytest.raises(Unauthenticated, match="needs an API token"):
        HttpStore(server.url).list_drift_reports()
    api = server.url + "/api/v1"
    anonymous = requests.post(
        api + "/drift-reports", json=report.model_dump(mode="json"), timeout=30
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    as_reader = requests.post(
        api + "/trigger-firings/claim",
        headers=server.headers("reader"),
        timeout=30,
        json=TriggerFiring(
            id="f", key="roles/rule/e", policy="roles", rule="rule", episode="e"
        ).model_dump(mode="json"),
    )
    assert as_reader.status_code == 403 and as_reader.json()["error"]["code"] == "permission_denied"
    bad = requests.post(
        api + "/trigger-episodes/open",
        headers=server.headers("writer"),
        timeout=30,
        json={"key": "", "episode": "e", "at": "2026-01-01T00:00:00Z"},
    )
    assert bad.status_code == 422 and "key" in bad.json()["error"]["message"]
    assert (
        requests.get(
            api + "/drift-reports/nope", headers=server.headers("reader"), timeout=30
        ).json()["error"]["code"]
        == "not_found"
    )
    denied = [
        (e.actor, e.action)
        for e in reader.audit_entries(limit=50)
        if e.data.get("outcome") == "denied"
    ]
    assert ("reader-bot", "POST /api/v1/drift-reports") in denied
    assert ("anonymous", "POST /api/v1/drift-reports") in denied
    scored["writer"].write_drift_report(report)
    scored["writer"].write_drift_report(report)  # idempotent by id
    assert scored["sql"].get_drift_report(report.id).summary() == report.summary()


ROLES = ("reader", "writer", "approver", "admin")


def test_every_monitoring_endpoint_every_role(server, scored):
    report = DriftReport(
        id=uuid.uuid4().hex,
        reference=DataRef(ref="a", digests=[], rows=0),
        current=DataRef(ref="b", digests=[], rows=0),
        drifted=False,
        share=0.0,
        share_threshold=0.5,
        columns=[],
    ).model_dump(mode="json")
    firing = TriggerFiring(
        id=uuid.uuid4().hex, key="every/role/e", policy="every", rule="role", episode="e"
    ).model_dump(mode="json")
    at = utcnow().isoformat()
    endpoints = [
        ("GET", "/drift-reports", "reader", {"params": {"limit": 5}}),
        ("GET", f"/drift-reports/{report['id']}", "reader", {}),
        (
            "GET",
            "/window-artifacts",
            "reader",
            {"params": {"task": "mon_score", "direction": "input"}},
        ),
        ("GET", "/trigger-episodes/current", "reader", {"params": {"key": "every/role"}}),
        ("GET", "/trigger-firings", "reader", {"params": {"policy": "every"}}),
        ("GET", "/trigger-firings/by-key", "reader", {"params": {"key": "every/role/e"}}),
        (
            "GET",
            "/trigger-firings/last",
            "reader",
            {"params": {"policy": "every", "rule": "role", "status": ["fired", "claimed"]}},
        ),
        ("POST", "/drift-reports", "writer", {"json": report}),
        (
            "POST",
            "/trigger-episodes/open",
            "writer",
            {"json": {"key": "every/role", "episode": "e", "at": at}},
        ),
        ("POST", "/trigger-episodes/close", "writer", {"json": {"key": "every/role", "at": at}}),
        ("POST", "/trigger-firings/claim", "writer", {"json": firing}),
        ("POST", "/trigger-firings/finish", "writer", {"json": {**firing, "status": "dry_run"}}),
    ]
    spec = requests.get(server.url + "/openapi.json", timeout=30).json()["paths"]
    paths = {p for _, p, _, _ in endpoints if report["id"] not in p} | {"/drift-reports/{ref}"}
    assert {"/api/v1" + p for p in paths} <= set(spec)
    # Writes first, so the report the reads ask for exists.
    for method, path, least, kw in sorted(endpoints, key=lambda e: e[0] == "GET"):
        anon = requests.request(method, server.url + "/api/v1" + path, timeout=30, **kw)
        assert anon.status_code == 401, (method, path, anon.text)
        for role in ROLES:
            resp = requests.request(
                method,
                server.url + "/api/v1" + path,
                headers=server.headers(role),
                timeout=30,
                **kw,
            )
            expected = 200 if ROLES.index(role) >= ROLES.index(least) else 403
            assert resp.status_code == expected, (method, path, role, resp.text)
    assert scored["sql"].get_firing("every/role/e").status == "dry_run"
    assert scored["sql"].get_drift_report(report["id"]).share == 0.0


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append({"key": self.headers["Idempotency-Key"], "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    receiver.calls = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


def test_trigger_policy_evaluated_against_server(server, scored, as_writer, hook, tmp_path):
    name = f"retrain-{uuid.uuid4().hex[:8]}"
    policy_data = {
        "name": name,
        "rules": [
            {
                "name": "drift",
                "when": {
                    "drift": {
                        "reference": "task:mon_train/data",
                        "current": "task:mon_score/batch@last",
                    }
                },
                "action": {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{hook.server_port}/retrain",
                },
            }
        ],
    }
    policy = parse_policy(policy_data)

    dry = evaluate_policy(policy, dry_run=True)[0]
    assert dry.status == "dry_run" and hook.calls == []
    first = evaluate_policy(policy)[0]
    assert first.status == "fired", first.message
    assert len(hook.calls) == 1 and hook.calls[0]["key"] == f"{name}/drift/{first.episode}"
    evidence = hook.calls[0]["body"]["evidence"]
    assert scored["sql"].get_drift_report(evidence["drift_report"]).drifted

    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy_data))
    again = CliRunner().invoke(
        cli, ["monitor", "run", "--policy", str(path), "--json"], env=as_writer
    )
    assert again.exit_code == 0, again.output
    rule = json.loads(again.output)["rules"][0]
    assert rule["status"] == "already_fired" and rule["episode"] == first.episode
    assert len(hook.calls) == 1

    listed = CliRunner().invoke(
        cli,
        ["monitor", "firings", "--policy", name, "--json"],
        env=_env(server, tmp_path, "reader"),
    )
    assert listed.exit_code == 0, listed.output
    assert [f["status"] for f in json.loads(listed.output)] == ["fired", "dry_run"]
    stored = scored["sql"].get_firing(first.firing.key)
    assert stored.status == "fired" and stored.started["status"] == 200
    assert scored["sql"].current_episode(f"{name}/drift") == first.episode
    audit = [e for e in scored["sql"].audit_entries() if e.data.get("policy") == name]
    assert [(e.action, e.actor) for e in audit] == [
        ("trigger.dry_run", "writer-bot"),
        ("trigger.fired", "writer-bot"),
    ]
    later = evaluate_policy(policy, now=utcnow() + timedelta(minutes=1))[0]
    assert later.status == "already_fired" and len(hook.calls) == 1
