"""The web UI in headless Debian chromium (Playwright), against the real server and the real
recorded churn-model pipeline: runs → run detail → lineage → back to a run, compare, audit."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def page(browser, server, recorded):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    assert not errors, errors


def open_ui(page, server, hash_: str = "#/runs", token: str | None = "reader") -> None:
    if token:
        page.add_init_script(f"localStorage.setItem('trackline.token', {server.tokens[token]!r})")
    page.goto(f"{server.url}/ui/{hash_}")
    wait_ready(page)


def wait_ready(page) -> None:
    page.wait_for_function("document.getElementById('view').dataset.ready === location.hash")


def test_a_token_is_needed_and_then_runs_are_listed(page, server):
    open_ui(page, server, token=None)
    alert = page.locator("#view .error")
    assert "needs an API token" in alert.inner_text() and "Paste an API token" in alert.inner_text()
    page.fill("#token-input", server.tokens["reader"])
    page.click("#token-form button[type=submit]")
    wait_ready(page)
    page.wait_for_selector("#runs-table")
    open_ui(page, server, "#/runs?pipeline=churn-model", token=None)
    names = page.locator("#runs-table a.run-link").all_inner_texts()
    assert {"prepare", "train", "evaluate", "publish"} <= set(names)
    page.wait_for_function("document.getElementById('whoami').textContent.includes('reader-bot')")


def test_runs_filter_and_sort(page, server):
    open_ui(page, server)
    page.select_option("#f-pipeline", "churn-model")
    page.select_option("#f-status", "failed")
    page.click("#run-search button[type=submit]")
    wait_ready(page)
    assert page.locator("#runs-table a.run-link").all_inner_texts() == ["publish"]
    assert "status=failed" in page.url

    open_ui(page, server, "#/runs?pipeline=churn-model&status=success")
    page.click("#runs-table th[data-key=name]")  # sorted by the server: a new URL
    wait_ready(page)
    ascending = page.locator("#runs-table a.run-link").all_inner_texts()
    assert ascending == sorted(ascending) and ascending[0] == "evaluate"
    assert page.get_attribute("#runs-table th[data-key=name]", "aria-sort") == "ascending"
    page.click("#runs-table th[data-key=name]")
    wait_ready(page)
    assert page.locator("#runs-table a.run-link").all_inner_texts() == sorted(
        ascending, reverse=True
    )

    # Time filter: runs started after a future instant — none.
    open_ui(page, server, "#/runs?since=2999-01-01T00:00:00Z")
    assert "No runs match." in page.inner_text("#view")
    assert page.input_value("#f-since") == "2999-01-01T00:00"


def test_run_detail_then_lineage_then_back_to_a_run(page, server, recorded):
    first = recorded["first"]["task_runs"]
    open_ui(page, server, "#/runs?pipeline=churn-model")
    page.click(f"#runs-table a[href='#/runs/{first['train']}']")
    wait_ready(page)
    assert page.inner_text("#run-name") == "train"
    params = page.inner_text("#params-table")
    assert re.search(r"lr\s+0\.1", params) and re.search(r"epochs\s+12", params)
    metrics = page.inner_text("#metrics-table")
    assert "loss" in metrics and "accuracy" in metrics
    # Step series and sampled resources are drawn by Chart.js.
    page.wait_for_function(
        "Chart.getChart(document.querySelector('canvas[data-metric=loss]')) !== undefined"
    )
    points = page.evaluate(
        "Chart.getChart(document.querySelector('canvas[data-metric=loss]')).data.datasets[0].data.length"
    )
    assert points == 12
    page.wait_for_function(
        "Chart.getChart(document.getElementById('resource-chart')) !== undefined"
    )
    assert "return" in page.inner_text("#outputs-table") and "data" in page.inner_text(
        "#inputs-table"
    )
    assert "Python" in page.inner_text("#view")

    page.click("#lineage-link")
    wait_ready(page)
    nodes = page.locator("#lineage-nodes tbody tr")
    texts = nodes.all_inner_texts()
    assert any(t.startswith("prepare") for t in texts) and any(
        t.startswith("evaluate") for t in texts
    )
    assert page.evaluate("tracklineGraph.nodes().length") == nodes.count()
    assert page.evaluate("tracklineGraph.edges().length") > 0

    # Click the evaluate node where Cytoscape drew it, then open that run from the side panel.
    box = page.locator("#graph").bounding_box()
    pos = page.evaluate(f"tracklineGraph.getElementById('{first['evaluate']}').renderedPosition()")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_selector("#node-title")
    assert page.inner_text("#node-title") == "evaluate"
    page.click("#open-run")
    wait_ready(page)
    assert page.inner_text("#run-name") == "evaluate"


def test_lineage_direction_and_depth(page, server, recorded):
    train = recorded["first"]["task_runs"]["train"]
    open_ui(page, server, f"#/lineage/{train}?direction=both")
    both = page.evaluate("tracklineGraph.nodes().length")
    page.select_option("#l-direction", "upstream")
    page.fill("#l-depth", "1")
    page.click("form.filters button[type=submit]")
    wait_ready(page)
    assert "upstream, depth 1" in page.inner_text("#lineage-summary")
    up = page.evaluate("tracklineGraph.nodes().map(n => n.data('label')).sort()")
    assert len(up) < both and "data.csv" in up and "evaluate" not in up and "prepare" not in up


def test_compare_two_runs_highlights_differences(page, server, recorded):
    a, b = recorded["first"]["task_runs"]["train"], recorded["second"]["task_runs"]["train"]
    open_ui(page, server, "#/runs?pipeline=churn-model")
    page.check(f"input.pick[data-id='{a}']")
    page.check(f"input.pick[data-id='{b}']")
    page.click("#compare-selected")
    wait_ready(page)
    assert "diff" in page.get_attribute("#cmp-params tr[data-key=lr]", "class")
    assert "diff" not in page.get_attribute("#cmp-params tr[data-key=epochs]", "class")
    assert "diff" in page.get_attribute("#cmp-metrics tr[data-key=loss]", "class")
    page.wait_for_function(
        "Chart.getChart(document.querySelector("
        "'#compare-charts canvas[data-metric=loss]')) !== undefined"
    )
    overlaid = page.evaluate(
        "Chart.getChart(document.querySelector("
        "'#compare-charts canvas[data-metric=loss]')).data.datasets.length"
    )
    assert overlaid == 2


def test_failed_run_shows_its_error(page, server, recorded):
    publish = recorded["second"]["task_runs"]["publish"]
    open_ui(page, server, f"#/runs/{publish}")
    error = page.inner_text("#error")
    assert "RuntimeError: registry s3://models refused the upload" in error
    assert "Traceback" in error


def test_audit_and_artifacts_pages(page, server, recorded):
    import requests

    assert requests.get(server.url + "/api/v1/artifacts", timeout=30).status_code == 401  # audited
    open_ui(page, server, "#/audit?outcome=denied")
    table = page.inner_text("#audit-table")
    assert "denied" in table and "anonymous" in table and "allowed" not in table
    open_ui(page, server, "#/artifacts?kind=dataset")
    # The pipeline's training data (the registry tests also record a holdout set, with no run).
    page.locator("#artifacts-table tbody tr", has_text="data.csv").first.locator("a").first.click()
    wait_ready(page)
    assert page.evaluate("tracklineGraph.nodes().length") >= 2


def test_a_reader_token_cannot_see_tokens_but_the_error_is_clear(page, server):
    open_ui(page, server, "#/runs", token="reader")
    status = page.evaluate("""async () => {
        const token = localStorage.getItem('trackline.token');
        const r = await fetch('/api/v1/tokens', {headers: {Authorization: 'Bearer ' + token}});
        return [r.status, (await r.json()).error.message];
    }""")
    assert status[0] == 403 and "needs role 'admin'" in status[1]


def test_run_then_lineage_then_model_version(page, server, recorded, registry):
    """run → lineage → the model artifact → its registry version (aliases, evaluations, gate
    decision with per-rule results) → back to the version's lineage."""
    first = recorded["first"]["task_runs"]
    v1 = registry["versions"]["first"]
    open_ui(page, server, "#/runs?pipeline=churn-model")
    page.click(f"#runs-table a[href='#/runs/{first['train']}']")
    wait_ready(page)
    page.click("#lineage-link")
    wait_ready(page)
    box = page.locator("#graph").bounding_box()
    pos = page.evaluate(f"tracklineGraph.getElementById('{v1.digest}').renderedPosition()")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_selector("#node-models a.open-model")
    assert "churn v1" in page.inner_text("#node-models") and "production" in page.inner_text(
        "#node-models"
    )
    page.click("#node-models a.open-model")
    wait_ready(page)
    assert page.inner_text("#version-ref") == "v1"
    assert "production" in page.inner_text("#version-aliases")
    assert "accuracy=0.9" in page.inner_text(
        "#evaluations-table"
    ) and "writer-bot" in page.inner_text("#evaluations-table")
    decision = page.locator(f"#decisions .decision[data-id='{registry['decision'].id}']")
    assert "churn-production" in decision.inner_text() and "approver-bot" in decision.inner_text()
    assert decision.locator("table.rules tbody tr").count() == 3
    assert "0.9" in decision.locator("table.rules tbody tr").first.inner_text()

    page.click("nav a[data-nav=models]")
    wait_ready(page)
    assert "production → v1" in page.inner_text("#models-table")
    page.click("#models-table a.model-link")
    wait_ready(page)
    assert page.locator("#versions-table a.version-link").count() >= 2
    page.click("#versions-table a[href='#/models/churn/1']")
    wait_ready(page)
    page.click("#version-lineage")
    wait_ready(page)
    assert page.inner_text("#lineage-root") == v1.digest[:12]
    labels = page.evaluate("tracklineGraph.nodes().map(n => n.data('label'))")
    assert "train" in labels and "prepare" in labels


def test_runs_search_box_uses_the_search_language(page, server):
    open_ui(page, server)
    page.fill(
        "#f-where", "pipeline = 'churn-model' and name = 'train' and metrics.loss is not null"
    )
    page.fill("#f-order", "metrics.loss")
    page.click("#run-search button[type=submit]")
    wait_ready(page)
    assert set(page.locator("#runs-table a.run-link").all_inner_texts()) == {"train"}
    assert page.locator("#runs-table th[data-key='metrics.loss']").count() == 1
    assert "where=" in page.url

    open_ui(page, server, "#/runs?where=metric.loss%20%3E%201")
    assert page.inner_text("#search-error") == (
        "unknown field 'metric.loss' at column 1 (did you mean 'metrics.loss'?)"
    )
