"""One real server per session (PostgreSQL, two uvicorn workers, a token of every role) and a
real pipeline recorded through it; tests that need their own server start one from ``harness``."""

from __future__ import annotations

import os

import pytest

from trackline.server.access import TokenStore

from .harness import Server, free_port, run_pipeline

ROLES = ("reader", "writer", "approver", "admin")
CHROMIUM = os.environ.get("TRACKLINE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW_MARKER = "slowpoke"


@pytest.fixture(scope="session")
def server(pg_database, tmp_path_factory) -> Server:
    home = tmp_path_factory.mktemp("server-home")
    store = pg_database()
    srv = Server(url=f"http://127.0.0.1:{free_port()}", store=store, home=home)
    # The UI's stale-response test searches for this marker; nothing else sends it.
    srv.env = {"TRACKLINE_TEST_DELAY": f"{SLOW_MARKER}=3"}
    # In-process (the CLI path has its own test): one interpreter start less per token.
    tokens = TokenStore.for_url(store)
    srv.tokens = {role: tokens.create(f"{role}-bot", role)[0] for role in ROLES}
    tokens.engine.dispose()
    srv.start(workers=2)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def recorded(server: Server, tmp_path_factory) -> dict:
    """Two real runs of the churn-model pipeline (one with a failing publish step)."""
    base = tmp_path_factory.mktemp("pipelines")
    first = run_pipeline(server, base / "a", 0.1)
    second = run_pipeline(server, base / "b", 0.3, fail=True)
    return {"first": first, "second": second}


POLICY = {
    "name": "churn-production",
    "rules": [
        {"metric": "accuracy", "dataset": "holdout", "min": 0.85},
        {
            "metric": "accuracy",
            "dataset": "holdout",
            "compare_to": "production",
            "max_regression": 0.01,
        },
        {"require_lineage": True},
    ],
}


@pytest.fixture(scope="session")
def registry(server: Server, recorded: dict, tmp_path_factory) -> dict:
    """The recorded pipelines' models registered through the server: churn v1 (evaluated 0.9,
    gate passed, promoted to production by the approver) and churn v2 (evaluated 0.7)."""
    from trackline import log_evaluation, register_model
    from trackline.gates import check_gate, promote
    from trackline.gates.policy import parse_policy
    from trackline.store.http import HttpStore

    writer = HttpStore(server.url, token=server.tokens["writer"])
    approver = HttpStore(server.url, token=server.tokens["approver"])
    out: dict = {"writer": writer, "approver": approver, "versions": {}}
    holdout = tmp_path_factory.mktemp("registry") / "holdout.csv"
    holdout.write_text("".join(f"{i},{i % 2}\n" for i in range(50)))
    for key, accuracy in (("first", 0.9), ("second", 0.7)):
        train = writer.get_run(recorded[key]["task_runs"]["train"])
        model = next(a for a in train.outputs if a.name == "return")
        mv = register_model("churn", model.digest, run=train.id, store=writer, team=key)
        log_evaluation(
            mv,
            dataset=holdout,
            dataset_name="holdout",
            metrics={"accuracy": accuracy},
            store=writer,
        )
        out["versions"][key] = mv
    out["policy"] = parse_policy(POLICY)
    out["decision"] = check_gate("churn", out["policy"], 1, store=approver)
    out["move"] = promote("churn", 1, alias="production", decision=out["decision"], store=approver)
    return out


# Module scope: while Playwright's sync API runs, an event loop stays set on the main thread,
# and tests after a browser module that call asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium, driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
