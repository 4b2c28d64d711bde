// Compare 2+ runs side by side: rows whose values differ are highlighted; metric charts overlaid.
import { api } from "../api.js";
import { lineChart, metricSeries } from "../charts.js";
import { badge, fmtDuration, fmtValue, h, short } from "../dom.js";
import { go } from "../nav.js";

function lastValues(run) {
  const out = {};
  for (const [key, pts] of metricSeries(run.metrics)) out[key] = pts[pts.length - 1].y;
  return out;
}

function envValues(run) {
  const e = run.environment || {};
  return { python: e.python, platform: e.platform, hostname: e.hostname, git_commit: e.git_commit,
    git_branch: e.git_branch, git_dirty: e.git_dirty, packages_digest: e.packages_digest,
    code_digest: run.code_digest };
}

function section(title, id, runs, valuesOf) {
  const values = runs.map(valuesOf);
  const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  if (!keys.length) return [h("h2", {}, title), h("p", { class: "muted" }, "none")];
  const rows = keys.map((k) => {
    const cells = values.map((v) => fmtValue(v[k]));
    const differs = new Set(cells).size > 1;
    return h("tr", { class: differs ? "diff" : "", "data-key": k }, h("th", {}, k),
      cells.map((c) => h("td", { class: "v mono" }, c)));
  });
  return [h("h2", {}, title), h("table", { id }, h("tbody", {}, rows))];
}

export async function renderCompare(view, params) {
  const ids = (params.get("ids") || "").split(",").map((s) => s.trim()).filter(Boolean);
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault();
    go("/compare", { ids: ev.target.elements.ids.value.replace(/\s+/g, "") });
  } }, h("label", {}, "Run ids (comma separated, 2 or more)",
    h("input", { name: "ids", size: 80, value: ids.join(",") })), h("button", { type: "submit" }, "Compare"));
  if (ids.length < 2) {
    view.replaceChildren(h("h1", {}, "Compare runs"), form,
      h("p", { class: "muted" }, "Pick two or more runs on the Runs page, or paste their ids."));
    return;
  }
  const runs = await Promise.all(ids.map((id) => api(`/runs/${encodeURIComponent(id)}`)));
  const header = h("table", { id: "compare-head" }, h("tbody", {},
    h("tr", {}, h("th", {}, "Run"), runs.map((r) => h("td", {}, h("a", { href: `#/runs/${r.id}` }, `${r.name} `), h("span", { class: "mono muted" }, short(r.id))))),
    h("tr", {}, h("th", {}, "Status"), runs.map((r) => h("td", {}, badge(r.status)))),
    h("tr", {}, h("th", {}, "Duration"), runs.map((r) => h("td", {}, fmtDuration(r.duration_s))))));

  const charts = h("div", { class: "grid2", id: "compare-charts" });
  const series = runs.map((r) => metricSeries(r.metrics));
  const keys = [...new Set(series.flatMap((s) => [...s.keys()]))].sort();
  for (const key of keys) {
    const canvas = h("canvas", { "data-metric": key });
    charts.append(h("div", { class: "card" }, h("strong", {}, key), h("div", { class: "chart-box" }, canvas)));
    const lines = runs.map((r, i) => ({ label: `${r.name} ${short(r.id)}`, points: series[i].get(key) || [] }));
    requestAnimationFrame(() => lineChart(canvas, lines));
  }
  view.replaceChildren(h("h1", {}, `Compare ${runs.length} runs`), form, header,
    ...section("Params", "cmp-params", runs, (r) => r.params),
    ...section("Metrics (last value)", "cmp-metrics", runs, lastValues),
    ...section("Inputs", "cmp-inputs", runs, (r) => Object.fromEntries(r.inputs.map((a) => [a.name, short(a.digest)]))),
    ...section("Environment", "cmp-env", runs, envValues),
    h("h2", {}, "Metric charts"), keys.length ? charts : h("p", { class: "muted" }, "none"));
}
