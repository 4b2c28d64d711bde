"""Over HTTP a registry rule runs once, on the server, against the server's records."""

from __future__ import annotations

import requests

from trackline.errors import PromotionRefused
from trackline.gates import check_gate, promote
from trackline.store.http import HttpStore

from .conftest import POLICY


class _Counting:
    """Counts the requests an HttpStore sends (a real session, observed, not replaced)."""

    def __init__(self, store: HttpStore) -> None:
        self.calls: list[tuple[str, str]] = []
        for session in (store._session, store._once):
            original = session.request

            def counted(method, url, *a, _original=original, **kw):
                self.calls.append((method, url.split("/api/v1", 1)[1]))
                return _original(method, url, *a, **kw)

            session.request = counted  # type: ignore[method-assign]


def test_a_gate_check_is_one_request_to_the_server(server, registry):
    approver = HttpStore(server.url, token=server.tokens["approver"])
    counter = _Counting(approver)
    mv = registry["versions"]["first"]
    decision = check_gate(mv, registry["policy"], store=approver)
    assert counter.calls == [("POST", "/models/churn/versions/1/gate")]
    assert decision.passed and decision.actor == "approver-bot"  # the token name, server-side
    assert approver.get_decision(decision.id) == decision


def test_a_promotion_is_one_request_and_the_server_refuses_a_failing_version(server, registry):
    approver = HttpStore(server.url, token=server.tokens["approver"])
    counter = _Counting(approver)
    second = registry["versions"]["second"]
    try:
        promote(second, alias="staging", policy=registry["policy"], store=approver)
    except PromotionRefused as exc:
        assert "failed for churn/2" in str(exc)
    else:  # pragma: no cover - the policy needs accuracy >= 0.8 and v2 has 0.7
        raise AssertionError("a failing version was promoted")
    assert counter.calls == [("POST", "/models/churn/versions/2/promote")]
    refused = [
        e
        for e in approver.audit_entries(model="churn", action="promotion.refused")
        if e.data.get("alias") == "staging"
    ]
    assert refused and refused[-1].actor == "approver-bot"


def test_a_retried_gate_request_returns_the_first_decision(server, registry):
    url = f"{server.url}/api/v1/models/churn/versions/1/gate"
    body = {"policy": POLICY, "decision_id": "retried-decision-0001"}
    first = requests.post(url, json=body, headers=server.headers("approver"), timeout=30)
    again = requests.post(url, json=body, headers=server.headers("approver"), timeout=30)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
