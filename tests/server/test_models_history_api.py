"""`models history` through the team server: the HTTP route, ``HttpStore`` and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from trackline import log_evaluation, register_model
from trackline.errors import PromotionRefused
from trackline.gates import promote
from trackline.registry import model_history
from trackline.store.http import HttpStore

from .conftest import POLICY

TRACKLINE = str(Path(sys.executable).parent / "trackline")


def test_history_through_the_server(server, recorded, tmp_path):
    writer = HttpStore(server.url, token=server.tokens["writer"])
    approver = HttpStore(server.url, token=server.tokens["approver"])
    holdout = tmp_path / "holdout.csv"
    holdout.write_text("".join(f"{i},{i % 2}\n" for i in range(40)))
    for key, accuracy in (("first", 0.9), ("second", 0.5)):
        train = writer.get_run(recorded[key]["task_runs"]["train"])
        model = next(a for a in train.outputs if a.name == "return")
        mv = register_model("churn-history", model.digest, run=train.id, store=writer)
        log_evaluation(
            mv,
            dataset=holdout,
            dataset_name="holdout",
            metrics={"accuracy": accuracy},
            store=writer,
        )
    promote("churn-history", 1, alias="production", policy=_policy_file(tmp_path), store=approver)
    with pytest.raises(PromotionRefused):
        promote(
            "churn-history", 2, alias="production", policy=_policy_file(tmp_path), store=approver
        )

    reader = HttpStore(server.url, token=server.tokens["reader"])
    h = model_history("churn-history", alias="production", store=reader)
    assert [(e.action, e.version, e.actor) for e in h.events] == [
        ("alias.moved", 1, "approver-bot"),
        ("promotion.refused", 2, "approver-bot"),
    ]
    assert h.events[0].verdict == "pass" and h.events[1].verdict == "fail"
    assert h.held == {"production": 1}

    resp = requests.get(
        f"{server.url}/api/v1/models/churn-history/history",
        params={"at": h.events[0].at.isoformat()},
        headers=server.headers("reader"),
        timeout=30,
    )
    assert resp.status_code == 200 and resp.json()["held"] == {"production": 1}
    bad = requests.get(
        f"{server.url}/api/v1/models/churn-history/history",
        params={"alias": "latest"},
        headers=server.headers("reader"),
        timeout=30,
    )
    assert bad.status_code == 422 and "invalid alias" in bad.text

    env = {**os.environ, "TRACKLINE_STORE": server.url, "TRACKLINE_TOKEN": server.tokens["reader"]}
    out = subprocess.run(
        [TRACKLINE, "models", "history", "churn-history", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [e["action"] for e in json.loads(out.stdout)["events"]] == [
        "alias.moved",
        "promotion.refused",
    ]


def _policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    return path
