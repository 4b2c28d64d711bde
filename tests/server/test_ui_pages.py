"""The model, pipeline-run, artifact, monitoring and lineage pages in headless Debian chromium,
against the real server filled by real tracked pipelines (``ui_pages_app.py``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .harness import HERE, base_env

DIGEST = re.compile(r"^[0-9a-f]{8,}$")


@pytest.fixture(scope="module")
def fraud(server, tmp_path_factory) -> dict:
    """The pipelines of ``ui_pages_app.py`` recorded through the server with an approver token."""
    out = tmp_path_factory.mktemp("ui-pages")
    env = base_env(
        out / "home", TRACKLINE_STORE=server.url, TRACKLINE_TOKEN=server.tokens["approver"]
    )
    proc = subprocess.run(
        [sys.executable, str(HERE / "ui_pages_app.py"), str(out / "work")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def shots(tmp_path) -> Path:
    where = os.environ.get("TRACKLINE_TEST_ARTIFACTS")
    path = Path(where) / "ui-pages" if where else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser, server, fraud):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.set_default_timeout(60_000)
    pg.add_init_script(f"localStorage.setItem('trackline.token', {server.tokens['reader']!r})")
    yield pg
    context.close()
    assert not errors, errors


def show(page, server, hash_: str) -> None:
    page.goto(f"{server.url}/ui/{hash_}")
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    assert not page.locator("#view .error").count(), page.inner_text("#view .error")


def api(server, path: str, **params) -> object:
    resp = requests.get(
        f"{server.url}/api/v1{path}", params=params, headers=server.headers("reader"), timeout=30
    )
    resp.raise_for_status()
    return resp.json()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_why_fraud_v3_is_in_production(page, server, fraud, shots):
    show(page, server, "#/models/fraud/3")
    assert "production" in page.inner_text("#version-aliases")
    why = page.inner_text("#why")
    assert "production" in why and "fraud-production" in why and "4/4 rules passed" in why
    events = page.locator("#alias-timeline li")
    assert events.count() == 3  # newest first: v1 → v3, v2 refused, ∅ → v1
    assert "v1 → v3" in events.nth(0).inner_text()
    refused = page.locator("#alias-timeline li.refused")
    assert refused.count() == 1 and "v2" in refused.inner_text()
    assert "fail decision" in refused.inner_text()
    decision = page.locator(f".decision[data-id='{fraud['decisions']['fraud/3']['id']}']")
    rows = decision.locator("table.rules tbody tr")
    assert rows.count() == 4
    first, compare = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "observed 0.9" in first and "min 0.8" in first and "dataset holdout" in first
    assert "threshold 0.8" in compare and "Δ +0.05 vs v1" in compare
    assert decision.locator("a.dataset-link").count() >= 1
    assert decision.locator("a.evidence-link").count() >= 1
    page.wait_for_function("document.getElementById('chain-badge').textContent.includes('chain')")
    assert "chain verified" in page.inner_text("#chain-badge")
    slices = page.inner_text("#slices-table")
    assert "online" in slices and "grocery" in slices and "0.85" in slices
    assert page.get_attribute("#version-lineage", "href").startswith("#/lineage/")
    page.click("#why a.why-decision")  # scrolls to the decision; the route stays
    assert page.evaluate("location.hash") == "#/models/fraud/3"
    page.screenshot(path=str(shots / "model-version.png"), full_page=True)

    show(page, server, "#/models/fraud/2")
    assert "holds no alias" in page.inner_text("#why")
    failed = page.locator(f".decision[data-id='{fraud['decisions']['fraud/2']['id']}']")
    assert "fail" in failed.locator("h3").inner_text()
    assert failed.locator("table.rules tbody tr.diff").count() == 2


def test_pipeline_run_page(page, server, fraud, shots):
    show(page, server, f"#/pipelines/{fraud['train']}")
    assert page.inner_text("#pipeline-name") == "fraud-train"
    rows = page.locator("#task-timeline .tl-row")
    tasks = api(server, "/runs", pipeline_run_id=fraud["train"], limit=1000)
    assert rows.count() == len(tasks) >= 9
    assert page.locator("#task-timeline .tl-bar.success").count() == len(tasks)
    grid = page.inner_text("#task-grid")
    assert "param depth" in grid and "metric loss" in grid and "metric accuracy" in grid
    produced = page.locator("#produced-versions li").all_inner_texts()
    assert [p.split(" (")[0] for p in produced] == ["fraud v1", "fraud v2", "fraud v3"], produced
    assert "fraud v3 (production)" in produced
    page.screenshot(path=str(shots / "pipeline-run.png"), full_page=True)
    train = next(t for t in tasks if t["name"] == "train")
    show(page, server, f"#/runs/{train['id']}")
    page.click("#pipeline-run-link")
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    assert page.inner_text("#pipeline-run-id") == fraud["train"]
    page.click("#pipeline-lineage")
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    assert page.evaluate("tracklineGraph.nodes().length") > len(tasks)
    page.wait_for_function(
        "tracklineGraph.nodes().some(n => n.data('display') === 'fraud v3 (production)')"
    )


def _training_data(server, fraud) -> str:
    tasks = api(server, "/runs", pipeline_run_id=fraud["train"], limit=1000)
    train = api(server, f"/runs/{next(t for t in tasks if t['name'] == 'train')['id']}")
    return next(a["digest"] for a in train["inputs"] if a["name"] == "data")


def test_artifact_profile(page, server, fraud, shots):
    digest = _training_data(server, fraud)
    show(page, server, f"#/artifacts/{digest}")
    assert "3000 rows" in page.inner_text("#profile-summary")
    cols = page.locator("#profile-columns .column")
    assert cols.count() == 3
    amount = page.locator(".column[data-column=amount]")
    assert amount.locator(".hist-bar").count() == 20
    heights = amount.locator(".hist-bar").evaluate_all(
        "bs => bs.map(b => parseFloat(b.style.height))"
    )
    assert max(heights) == 100 and sum(h > 0 for h in heights) >= 5
    merchant = page.locator(".column[data-column=merchant]")
    assert merchant.locator(".top-values tr").count() == 4
    assert "grocery" in merchant.locator(".top-values tr").first.inner_text()
    age = page.locator(".column[data-column=age]").inner_text()
    assert re.search(r"(9|10|11)\.\d% null", age), age
    readers = page.locator("#consumers tbody tr").all_inner_texts()
    assert sum(r.startswith("train#") for r in readers) == 3  # and the drift checks
    assert any(r.startswith("trackline.drift") for r in readers), readers
    page.screenshot(path=str(shots / "artifact.png"), full_page=True)


def test_monitoring_and_a_drift_report(page, server, fraud, shots):
    show(page, server, "#/monitoring")
    assert page.inner_text("#view h1") == "Monitoring"
    assert page.locator("nav a.active").inner_text() == "Monitoring"
    assert page.locator("#drift-reports tbody tr").count() >= 3
    assert fraud["trigger"] == ["fired"]
    firing = page.locator("#firings tbody tr").first
    assert "fired" in firing.inner_text() and "fraud-retrain" in page.inner_text("#firings h3")
    page.screenshot(path=str(shots / "monitoring.png"), full_page=True)
    firing.locator("a.started-run").click()  # the retraining pipeline run the webhook started
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    assert page.inner_text("#pipeline-name") == "fraud-retrain"
    page.go_back()
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    last = fraud["reports"][-1]
    page.click(f"#drift-reports a[href='#/monitoring/drift/{last}']")
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    assert "drift" in page.inner_text("#view h1")
    cards = page.locator("#drift-columns .column")
    assert cards.count() == 3
    amount = page.locator("#drift-columns .column[data-column=amount]")
    assert re.search(r"± [0-9.e-]+ vs threshold", amount.inner_text())
    assert amount.locator(".gauge .thr").count() == 1
    assert amount.locator(".hist-bar.ref").count() == 20
    assert amount.locator(".hist-bar.cur").count() == 20
    assert page.locator("#drift-columns .column[data-column=merchant] .hist-bar.cur").count() == 4
    page.wait_for_function("Chart.getChart(document.getElementById('trend-chart')) !== undefined")
    points = page.evaluate(
        "Chart.getChart(document.getElementById('trend-chart')).data.datasets[0].data.length"
    )
    assert points >= 3  # and the trigger's own check
    page.screenshot(path=str(shots / "drift-report.png"), full_page=True)


def test_a_large_lineage_stays_readable(page, server, fraud, shots):
    pr = fraud["features"]
    show(page, server, f"#/lineage/{pr}?direction=both&pipeline_run={pr}")
    shown = page.evaluate("tracklineGraph.nodes().length")
    assert shown >= 100
    labels = page.evaluate("tracklineGraph.nodes().map(n => n.data('display'))")
    assert not [x for x in labels if DIGEST.match(x)], labels
    assert "normalize ×12" in labels and "shard-07.csv" in labels
    assert page.evaluate("tracklineGraph.nodes('[current = \"yes\"]').length") == shown
    page.click("#l-zoom-in")
    page.click("#l-fit")
    inside = page.evaluate("""() => {
        const cy = tracklineGraph, w = cy.width(), h = cy.height();
        return cy.nodes().every(n => { const b = n.renderedBoundingBox();
            return b.x1 >= -1 && b.y1 >= -1 && b.x2 <= w + 1 && b.y2 <= h + 1; });
    }""")
    assert inside
    page.screenshot(path=str(shots / "lineage.png"))
    # Fitted, 120 nodes draw their labels below the minimum size (hidden); hovering shows one.
    assert page.evaluate("tracklineGraph.zoom() * 11 < 7")
    box = page.locator("#graph").bounding_box()
    shard = page.evaluate(
        "tracklineGraph.nodes().filter(n => n.data('label') === 'shard-07.csv')[0]"
        ".renderedPosition()"
    )
    page.mouse.move(box["x"] + shard["x"], box["y"] + shard["y"])
    page.wait_for_selector("#graph-tip", state="visible")
    assert page.inner_text("#graph-tip") == "shard-07.csv"
    page.fill("#l-search", "shard-07")
    page.press("#l-search", "Enter")
    found = page.evaluate("tracklineGraph.nodes('.found').map(n => n.data('label'))")
    assert found == ["shard-07.csv"] and page.inner_text("#node-title") == "shard-07.csv"
    page.fill("#l-search", "normalize")
    page.press("#l-search", "Enter")
    page.click("#toggle-fold")
    assert page.evaluate("tracklineGraph.nodes().length") == shown + 11
    assert page.locator("#lineage-nodes tbody tr").count() == shown + 11


def test_impact_of_the_training_data(page, server, fraud):
    digest = _training_data(server, fraud)
    show(page, server, f"#/artifacts/{digest}")
    page.click("#artifact-impact")
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")
    impact = page.inner_text("#impact")
    assert "fraud v1" in impact and "fraud v3" in impact and "production" in impact


@pytest.mark.parametrize("width", [1440, 375])
def test_pages_fit_the_width(browser, server, fraud, shots, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.add_init_script(f"localStorage.setItem('trackline.token', {server.tokens['reader']!r})")
    pg.set_default_timeout(60_000)
    pages = {
        "version": "#/models/fraud/3",
        "pipeline": f"#/pipelines/{fraud['train']}",
        "artifact": f"#/artifacts/{_training_data(server, fraud)}",
        "monitoring": "#/monitoring",
        "drift": f"#/monitoring/drift/{fraud['reports'][-1]}",
        "lineage": f"#/lineage/{fraud['features']}?direction=both",
        "models": "#/models",
        "model": "#/models/fraud",
        "artifacts": "#/artifacts",
        "audit": "#/audit",
    }
    wide = []
    for name, hash_ in pages.items():
        show(pg, server, hash_)
        pg.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        if not no_horizontal_scroll(pg):
            wide.append(name)
    context.close()
    assert not wide and not errors, (wide, errors)
