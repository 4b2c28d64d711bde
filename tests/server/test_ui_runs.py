"""The runs and compare pages in headless Debian chromium against the real server, filled by a
real 60-run sweep (tests/server/sweep_app.py): finding the best run, paging, selection, compare,
stale responses, time zones, layout at 1,440 and 375 px; and what the server adds for them
(search offset/total, field keys, compressed cached assets, offline /docs) over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from trackline.query import Search
from trackline.store.http import HttpStore
from trackline.store.sql.store import SqlStore

from .conftest import SLOW_MARKER
from .harness import HERE, base_env
from .test_ui import open_ui, wait_ready

N = 60
WIDE = "params.lr,params.depth,params.seed,metrics.val_acc,metrics.sweep_loss"
UNLABELLED = """[...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label'))
    .map(e => e.outerHTML)"""
CHARTS_DRAWN = (
    "document.querySelectorAll('canvas').length > 0 && "
    "[...document.querySelectorAll('canvas')].every(c => Chart.getChart(c))"
)
SWEEP = "pipeline = 'ui-sweep'"


@pytest.fixture(scope="module")
def sweep(server, tmp_path_factory) -> list[dict]:
    home = tmp_path_factory.mktemp("sweep-home")
    env = base_env(home, TRACKLINE_STORE=server.url, TRACKLINE_TOKEN=server.tokens["writer"])
    proc = subprocess.run(
        [sys.executable, str(HERE / "sweep_app.py"), str(N)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(runs) == N
    return sorted(runs, key=lambda r: r["acc"], reverse=True)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    given = os.environ.get("TRACKLINE_TEST_ARTIFACTS")
    out = Path(given) if given else tmp_path_factory.mktemp("ui-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


class Console(list):
    """Console errors and uncaught exceptions of a page; ``allow`` lists expected ones."""

    allow: tuple[str, ...] = ()

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(a in e for a in self.allow)]


def _page(browser, console: Console, **context):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, **context)
    pg = ctx.new_page()
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    pg.on("console", lambda m: m.type == "error" and console.append(m.text))
    pg.set_default_timeout(60_000)
    return ctx, pg


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser, server, sweep, console):
    ctx, pg = _page(browser, console)
    yield pg
    ctx.close()
    assert not console.unexpected(), console


def rows(page) -> list[str]:
    return page.eval_on_selector_all("#runs-table input.pick", "els => els.map(e => e.dataset.id)")


def q(text: str) -> str:
    return requests.utils.quote(text, safe="")


# -- finding the best run ------------------------------------------------------------------------
def test_best_run_through_the_query_box(page, server, sweep):
    open_ui(page, server)
    page.fill("#f-where", SWEEP)
    page.fill("#f-order", "metrics.val_acc desc")
    page.click("#run-search button[type=submit]")
    wait_ready(page)
    assert rows(page)[0] == sweep[0]["id"]
    assert page.inner_text("#run-count") == f"1–50 of {N} run(s)"
    best = page.locator("#runs-table tbody tr").first
    header = page.locator("#runs-table th[data-key='metrics.val_acc']")
    assert header.get_attribute("aria-sort") == "descending"
    assert best.locator("td span.num").first.inner_text() == f"{sweep[0]['acc']:.4g}"
    # Rounded to 4 significant digits; where that changed the value, the title has it exactly.
    acc = {r["id"]: r["acc"] for r in sweep}
    shown = page.eval_on_selector_all(
        "#runs-table tbody tr",
        "trs => trs.map(tr => [tr.querySelector('input.pick').dataset.id, "
        "tr.querySelector('span.num').textContent, tr.querySelector('span.num').title])",
    )
    assert any(title for _, _, title in shown)
    # Ids are shortened, with the whole id in the title and on the copy button.
    cell = best.locator(".digest")
    assert cell.locator("code").inner_text() == sweep[0]["id"][:12]
    assert cell.locator("button.copy").get_attribute("data-copy") == sweep[0]["id"]
    assert "null" not in page.inner_text("#view")
    for rid, text, title in shown:
        assert float(title or text) == acc[rid] and float(text) == pytest.approx(acc[rid], 1e-3)


def test_best_run_through_columns_sort_and_the_best_shortcut(page, server, sweep):
    open_ui(page, server, f"#/runs?where={q(SWEEP)}")
    page.click("#col-chooser summary")
    page.check("#col-chooser input[data-field='metrics.val_acc']")
    page.check("#col-chooser input[data-field='params.lr']")
    page.click("#apply-columns")
    wait_ready(page)
    assert page.evaluate("localStorage.getItem('trackline.runs.columns')") == (
        "params.lr,metrics.val_acc"
    )
    # Sorting by keyboard: focus the header, Enter sorts ascending, Space then descending.
    page.focus("#runs-table th[data-key='metrics.val_acc']")
    page.keyboard.press("Enter")
    wait_ready(page)
    assert rows(page)[0] == sweep[-1]["id"]
    page.focus("#runs-table th[data-key='metrics.val_acc']")
    page.keyboard.press(" ")
    wait_ready(page)
    assert rows(page)[0] == sweep[0]["id"]
    assert page.get_attribute("#runs-table th[data-key='metrics.val_acc']", "aria-sort") == (
        "descending"
    )

    # The column choice is remembered by the browser: a fresh visit shows it.
    open_ui(page, server, f"#/runs?where={q(SWEEP)}")
    assert page.locator("#runs-table th[data-key='params.lr']").count() == 1
    page.select_option("#best-metric", "val_acc")
    page.select_option("#best-dir", "asc")
    page.click("#best-form button[type=submit]")
    wait_ready(page)
    assert rows(page)[0] == sweep[-1]["id"]
    page.select_option("#best-dir", "desc")
    page.click("#best-form button[type=submit]")
    wait_ready(page)
    assert rows(page)[0] == sweep[0]["id"]
    assert "order_by=metrics.val_acc+desc" in page.url or "metrics.val_acc%20desc" in page.url


# -- selection, paging, compare ------------------------------------------------------------------
def test_selection_survives_sort_and_paging_and_is_what_compare_compares(page, server, sweep):
    open_ui(page, server, f"#/runs?where={q(SWEEP)}&limit=25")
    assert page.inner_text("#run-count") == f"1–25 of {N} run(s)"
    first_page = rows(page)
    picked = [first_page[3], first_page[10]]
    for rid in picked:
        page.check(f"input.pick[data-id='{rid}']")
    page.click("#page-next")
    wait_ready(page)
    assert page.inner_text("#run-count") == f"26–50 of {N} run(s)"
    second = rows(page)
    assert not set(second) & set(first_page)
    page.check(f"input.pick[data-id='{second[0]}']")
    picked.append(second[0])
    page.click("#page-next")
    wait_ready(page)
    assert page.inner_text("#run-count") == f"51–60 of {N} run(s)"  # no silent stop
    assert page.is_disabled("#page-next")

    page.click("#runs-table th[data-key=duration]")
    wait_ready(page)
    assert page.inner_text("#picked-count") == "3 selected"
    checked = page.eval_on_selector_all("input.pick:checked", "els => els.map(e => e.dataset.id)")
    assert set(checked) <= set(picked)
    page.click("#compare-selected")
    wait_ready(page)
    ids = parse_qs(urlparse(page.url).fragment.split("?", 1)[1])["ids"][0].split(",")
    assert sorted(ids) == sorted(picked)
    assert page.locator("#compare-table thead th").count() == 1 + 3


def test_compare_three_runs_with_deltas_only_differences_and_charts(page, server, sweep):
    a, b, c = sweep[0], sweep[1], sweep[30]
    open_ui(page, server, f"#/compare?ids={a['id']},{b['id']},{c['id']}")
    assert page.title() == "Compare 3 runs · trackline"
    acc = page.locator("#cmp-metrics tr[data-key=val_acc]")
    assert "diff" in acc.get_attribute("class")
    delta = float(acc.locator("td").nth(1).locator(".delta").get_attribute("data-delta"))
    assert delta == pytest.approx(b["acc"] - a["acc"])
    # Another baseline: deltas are against it, and its own column has none.
    page.select_option("#baseline", c["id"])
    acc = page.locator("#cmp-metrics tr[data-key=val_acc]")
    assert acc.locator("td").nth(2).locator(".delta").count() == 0
    delta = float(acc.locator("td").nth(0).locator(".delta").get_attribute("data-delta"))
    assert delta == pytest.approx(a["acc"] - c["acc"])

    same = page.locator("#cmp-overview tr[data-key=pipeline]")
    assert same.is_visible()
    page.check("#only-diff")
    assert not same.is_visible() and acc.is_visible()
    assert page.locator("#cmp-inputs .digest button.copy").count() == 0  # no inputs recorded

    # Single values as bars, step series as lines (log scale), and the sweep scatter.
    chart = "Chart.getChart(document.querySelector('#compare-charts canvas[data-metric={}]'))"
    page.wait_for_function(f"{chart.format('val_acc')} !== undefined")
    assert page.evaluate(f"{chart.format('val_acc')}.config.type") == "bar"
    page.wait_for_function(f"{chart.format('sweep_loss')} !== undefined")
    assert page.evaluate(f"{chart.format('sweep_loss')}.data.datasets.length") == 3
    page.check("#log-scale")
    page.wait_for_function(f"{chart.format('sweep_loss')}?.options.scales.y.type === 'logarithmic'")
    page.select_option("#sweep-param", "lr")
    page.wait_for_function("Chart.getChart(document.getElementById('sweep-chart')) !== undefined")
    points = page.evaluate(
        "Chart.getChart(document.getElementById('sweep-chart')).data.datasets[0].data"
    )
    assert sorted(p["x"] for p in points) == sorted(r["lr"] for r in (a, b, c))


# -- robustness ----------------------------------------------------------------------------------
def test_a_stale_response_never_draws_under_a_newer_url(page, server, sweep):
    open_ui(page, server)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    slow = f"#/runs?where={q(f'name = {SLOW_MARKER!r}')}"
    fresh = f"#/runs?where={q(SWEEP)}"
    with page.expect_request(lambda r: SLOW_MARKER in r.url):
        page.evaluate(f"location.hash = {slow!r}")
    page.evaluate(f"location.hash = {fresh!r}")
    wait_ready(page)
    # The server answers the slow search seconds later; the browser has dropped it.
    if not any(SLOW_MARKER in u for u in failed):
        page.wait_for_event("requestfailed", predicate=lambda r: SLOW_MARKER in r.url)
    assert page.evaluate("document.getElementById('view').dataset.ready") == fresh
    assert page.input_value("#f-where") == SWEEP
    assert len(rows(page)) == 50


def test_time_inputs_are_utc_in_any_browser_zone(browser, server, sweep, console):
    ctx, pg = _page(browser, console, timezone_id="America/New_York")
    try:
        open_ui(pg, server)
        assert pg.evaluate("new Date(2026, 0, 10).getTimezoneOffset()") == 300  # New York, EST
        assert "(UTC)" in pg.inner_text("label:has(#f-since)")
        pg.fill("#f-since", "2026-03-10T08:30")
        with pg.expect_request(lambda r: "/api/v1/runs?" in r.url and "started" in r.url) as req:
            pg.click("#run-search button[type=submit]")
        wait_ready(pg)
        where = parse_qs(urlparse(req.value.url).query)["where"][0]
        assert where == "started >= '2026-03-10T08:30:00Z'"
        assert pg.input_value("#f-since") == "2026-03-10T08:30"
    finally:
        ctx.close()
    assert not console.unexpected(), console


def test_errors_show_the_message_and_retry(page, server, sweep, console):
    console.allow = ("status of 422", "status of 404")
    open_ui(page, server, f"#/runs?where={q('metric.val_acc > 1')}")
    assert page.inner_text("#search-error") == (
        "unknown field 'metric.val_acc' at column 1 (did you mean 'metrics.val_acc'?)"
    )
    open_ui(page, server, "#/compare?ids=nosuchrun1,nosuchrun2")
    assert page.locator("#view .error button.retry").count() == 1
    page.click("#view .error button.retry")
    wait_ready(page)
    assert page.locator("#view .error").count() == 1


def test_vendored_libraries_load_only_where_used(page, server, sweep):
    open_ui(page, server)
    assert page.evaluate("typeof window.cytoscape") == "undefined"
    assert page.evaluate("typeof window.Chart") == "undefined"
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [u for u in loaded if "vendor/" in u]
    open_ui(page, server, f"#/compare?ids={sweep[0]['id']},{sweep[1]['id']}")
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("typeof window.cytoscape") == "undefined"


def test_no_horizontal_scroll_at_1440_and_375_px(page, server, sweep, recorded, artifacts):
    ids = ",".join(r["id"] for r in sweep[:3])
    pages = {
        "runs": f"#/runs?where={q(SWEEP)}&cols={WIDE}",
        "runs-all": "#/runs",
        "run": f"#/runs/{recorded['first']['task_runs']['train']}",
        "compare": f"#/compare?ids={ids}",
        "compare-pipeline": "#/compare?ids="
        + ",".join(recorded[k]["task_runs"]["train"] for k in ("first", "second")),
    }
    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, hash_ in pages.items():
            open_ui(page, server, hash_)
            if "compare" in name:
                page.wait_for_function(CHARTS_DRAWN)
            page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
            over = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert over <= 0, (name, width, over)
            assert page.evaluate(UNLABELLED) == [], name
            assert re.fullmatch(r".+ · trackline", page.title()), page.title()


# -- over HTTP -----------------------------------------------------------------------------------
def _get(server, path: str, **params) -> requests.Response:
    return requests.get(
        server.url + "/api/v1" + path, params=params, headers=server.headers("reader"), timeout=60
    )


def test_search_pages_with_offset_and_total(server, sweep, recorded):
    ranked = [r["id"] for r in sweep]
    seen = []
    for offset in range(0, N, 25):
        body = _get(
            server,
            "/runs",
            where=SWEEP,
            order_by="metrics.val_acc desc",
            limit=25,
            offset=offset,
            total=1,
        ).json()
        assert body["total"] == N
        seen += [r["id"] for r in body["rows"]]
    assert seen == ranked
    # Ordered by a param some runs lack: paging crosses from runs that have it to the rest.
    body = _get(
        server,
        "/runs",
        where=f"{SWEEP} or name = 'prepare'",
        order_by="params.lr",
        limit=1000,
        total=1,
    ).json()
    whole = [r["id"] for r in body["rows"]]
    paged = []
    for offset in range(0, body["total"], 7):
        page = _get(
            server,
            "/runs",
            where=f"{SWEEP} or name = 'prepare'",
            order_by="params.lr",
            limit=7,
            offset=offset,
        )
        paged += [r["id"] for r in page.json()["rows"]]
    assert paged == whole and body["total"] == len(whole) > N
    assert _get(server, "/runs", where=SWEEP).json().get("total") is None  # only when asked
    # The same pages through the HTTP store as straight from the database.
    search = Search(where=SWEEP, order_by="params.lr desc", limit=10, offset=55, total=True)
    remote = HttpStore(server.url, token=server.tokens["reader"])
    sql = SqlStore(server.store)
    try:
        got = remote.search_runs(search)
        assert got == sql.search_runs(search) and got.total == N and len(got.rows) == N - 55
    finally:
        remote.close()
        sql.close()
    pipes = _get(server, "/pipeline-runs", where="pipeline = 'ui-sweep'", total=1, offset=1)
    assert pipes.json()["total"] == 1 and pipes.json()["rows"] == []
    keys = _get(server, "/run-fields").json()
    assert {"lr", "depth", "seed"} <= set(keys["params"]) and "val_acc" in keys["metrics"]


def test_assets_are_compressed_and_cached_and_index_is_not(server):
    index = requests.get(server.url + "/ui/", timeout=30)
    assert index.headers["cache-control"] == "no-cache"
    prefix = re.search(r'src="(/ui/a/[0-9a-f]{12})/js/app.js"', index.text).group(1)
    for path in ("/js/app.js", "/js/pages/runs.js", "/app.css", "/vendor/chart.umd.min.js"):
        resp = requests.get(
            server.url + prefix + path, headers={"Accept-Encoding": "gzip"}, timeout=30
        )
        assert resp.status_code == 200, path
        assert resp.headers["content-encoding"] == "gzip", path
        assert resp.headers["cache-control"] == "public, max-age=31536000, immutable", path
    assert requests.get(server.url + "/ui/a/000000000000/js/app.js", timeout=30).status_code == 404


def test_api_docs_work_offline(browser, server, console):
    html = requests.get(server.url + "/docs", timeout=30).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for a in assets:
        assert requests.get(server.url + a, timeout=30).status_code == 200, a
    ctx, pg = _page(browser, console)
    try:
        outside: list[str] = []

        def only_local(route):
            if route.request.url.startswith(server.url):
                route.continue_()
            else:  # no internet
                outside.append(route.request.url)
                route.abort()

        pg.route("**/*", only_local)
        pg.goto(server.url + "/docs")
        pg.wait_for_selector(".swagger-ui .information-container .title")
        assert "trackline" in pg.inner_text(".swagger-ui .information-container .title")
        pg.wait_for_selector(".opblock-tag-section")
        assert not outside, outside
    finally:
        ctx.close()


@pytest.mark.parametrize("order_by", ["params.lr", "metrics.acc desc, name", "started", None])
def test_search_offset_pages_match_one_long_page_on_both_backends(store_url, order_by):
    """Offsets across the two phases of an ordered search (runs with the order key, then those
    without it), including SQLite's order-driven index walk."""
    from datetime import timedelta

    from trackline.model.runs import Metric, TaskRun, utcnow

    store = SqlStore(store_url)
    try:
        now = utcnow()
        for i in range(30):
            store.write_task_run(
                TaskRun(
                    id=f"page{i:02d}",
                    name=f"t{i % 4}",
                    pipeline="paging",
                    status="success",
                    started_at=now - timedelta(seconds=i),
                    params={"lr": i % 5 / 10} if i % 3 else {},
                    metrics=[Metric(id=f"pm{i}", key="acc", value=i % 7 / 10)] if i % 4 else [],
                )
            )
        whole = store.search_runs(
            Search(where="pipeline = 'paging'", order_by=order_by, limit=1000)
        )
        paged = []
        for offset in range(0, 30, 7):
            res = store.search_runs(
                Search(
                    where="pipeline = 'paging'",
                    order_by=order_by,
                    limit=7,
                    offset=offset,
                    total=True,
                )
            )
            assert res.total == 30
            paged += [r["id"] for r in res.rows]
        assert paged == [r["id"] for r in whole.rows] and len(paged) == 30
    finally:
        store.close()
