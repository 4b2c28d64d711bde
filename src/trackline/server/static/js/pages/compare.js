// Compare 2+ runs in one aligned table (overview, params, metrics, resources, inputs/outputs,
// environment): differing rows marked, numeric deltas against a chosen baseline, an "only
// differences" switch; metric charts (bars for single values, lines for step series) and a
// param-vs-metric scatter for sweeps.
import { api } from "../api.js";
import { barChart, dropChart, lineChart, metricSeries, scatterChart, smooth } from "../charts.js";
import { badge, digest, fmtNum, fmtTime, h, setTitle, short, val } from "../dom.js";
import { go } from "../nav.js";

const DIGEST = Symbol("digest");  // marks a section whose values are digests
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

function lastValues(series) {
  return Object.fromEntries([...series].map(([k, pts]) => [k, pts[pts.length - 1].y]));
}

function sections(runs, series) {
  const io = (dir) => (r) => Object.fromEntries(r[dir].map((a) => [a.name || short(a.digest), a.digest]));
  const res = (r) => {
    const u = r.resources || {};
    return { cpu_user_s: u.cpu_user_s, cpu_system_s: u.cpu_system_s, peak_rss_bytes: u.peak_rss_bytes,
      io_read_bytes: u.io_read_bytes, io_write_bytes: u.io_write_bytes };
  };
  const env = (r) => {
    const e = r.environment || {};
    return { python: e.python, platform: e.platform, hostname: e.hostname, git_commit: e.git_commit,
      git_branch: e.git_branch, git_dirty: e.git_dirty };
  };
  return [
    { id: "overview", title: "Run", values: (r) => ({ status: r.status, pipeline: r.pipeline, started: fmtTime(r.started_at), duration_s: r.duration_s }) },
    { id: "params", title: "Params", values: (r) => r.params || {} },
    { id: "metrics", title: "Metrics (last value)", values: (r, i) => lastValues(series[i]) },
    { id: "resources", title: "Resources", values: res },
    { id: "inputs", title: "Inputs", values: io("inputs"), kind: DIGEST },
    { id: "outputs", title: "Outputs", values: io("outputs"), kind: DIGEST },
    { id: "code", title: "Code and environment", values: (r) => ({ code_digest: r.code_digest, packages_digest: (r.environment || {}).packages_digest }), kind: DIGEST },
    { id: "env", title: "Environment", values: env },
  ];
}

function cellOf(v, base, isBase, kind) {
  if (v === undefined || v === null) return h("td", { class: "v muted" }, "—");
  if (kind === DIGEST) return h("td", { class: "v" }, digest(v));
  const td = h("td", { class: "v" + (isBase ? " baseline" : "") }, val(v));
  if (!isBase && isNum(v) && isNum(base) && v !== base) {
    const d = v - base;
    td.append(" ", h("span", { class: `delta ${d > 0 ? "up" : "down"}`, "data-delta": d, title: `${d > 0 ? "+" : ""}${d} vs baseline` },
      `${d > 0 ? "+" : ""}${fmtNum(d)}`));
  }
  return td;
}

function table(runs, series, baseIdx) {
  const head = h("tr", {}, h("th", { scope: "col" }, "Field"), runs.map((r, i) => h("th", { scope: "col", class: i === baseIdx ? "baseline" : null },
    h("a", { href: `#/runs/${encodeURIComponent(r.id)}` }, r.name), " ", digest(r.id), i === baseIdx ? h("span", { class: "muted" }, " (baseline)") : null)));
  const bodies = sections(runs, series).map((s) => {
    const values = runs.map((r, i) => s.values(r, i));
    const keys = [...new Set(values.flatMap((v) => Object.keys(v).filter((k) => v[k] !== undefined)))].sort();
    const rows = keys.map((k) => {
      const differs = new Set(values.map((v) => JSON.stringify(v[k] ?? null))).size > 1;
      return h("tr", { class: differs ? "diff" : "same", "data-key": k }, h("th", { scope: "row" }, k),
        values.map((v, i) => k === "status" ? h("td", { class: "v" }, badge(v[k])) : cellOf(v[k], values[baseIdx][k], i === baseIdx, s.kind)));
    });
    return h("tbody", { id: `cmp-${s.id}` }, h("tr", { class: "section" }, h("th", { colspan: runs.length + 1 }, s.title)),
      rows.length ? rows : h("tr", { class: "same" }, h("td", { colspan: runs.length + 1, class: "muted" }, "none")));
  });
  return h("table", { id: "compare-table" }, h("thead", {}, head), ...bodies);
}

function drawCharts(box, runs, series, opts, drawn) {
  while (drawn.length) dropChart(drawn.pop());
  const keys = [...new Set(series.flatMap((s) => [...s.keys()]))].sort();
  box.replaceChildren(...keys.map((key) => {
    const single = series.every((s) => (s.get(key) || []).length <= 1);
    const canvas = h("canvas", { "data-metric": key, "data-kind": single ? "bar" : "line", role: "img", "aria-label": `${key} per run` });
    requestAnimationFrame(() => {
      if (!canvas.isConnected) return;
      drawn.push(single
        ? barChart(canvas, runs.map((r, i) => ({ label: `${r.name} ${short(r.id)}`, value: ((series[i].get(key) || [])[0] || {}).y ?? null })), { yLabel: key, log: opts.log })
        : lineChart(canvas, runs.map((r, i) => ({ label: `${r.name} ${short(r.id)}`, points: smooth(series[i].get(key) || [], opts.smoothing) })), { yLabel: key, log: opts.log }));
    });
    return h("div", { class: "card" }, h("strong", {}, key), h("div", { class: "chart-box" }, canvas));
  }));
  return keys.length;
}

function sweep(runs, series) {
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.params || {}).filter((k) => isNum(r.params[k]))))].sort();
  const metrics = [...new Set(series.flatMap((s) => [...s.keys()]))].sort();
  if (!params.length || !metrics.length) return h("p", { class: "muted" }, "No numeric params and metrics to plot.");
  // Start with a param the runs actually vary.
  const varied = params.find((k) => new Set(runs.map((r) => (r.params || {})[k])).size > 1);
  const p = h("select", { id: "sweep-param" }, params.map((k) => h("option", { value: k, selected: k === varied }, k)));
  const m = h("select", { id: "sweep-metric" }, metrics.map((k) => h("option", { value: k }, k)));
  const canvas = h("canvas", { id: "sweep-chart", role: "img", "aria-label": "param against metric, one point per run" });
  let chart = null;
  const draw = () => {
    if (chart) dropChart(chart);
    const pts = runs.map((r, i) => {
      const s = series[i].get(m.value) || [];
      return { x: (r.params || {})[p.value], y: s.length ? s[s.length - 1].y : null, label: `${r.name} ${short(r.id)}` };
    }).filter((pt) => isNum(pt.x) && isNum(pt.y));
    chart = scatterChart(canvas, pts, { xLabel: `params.${p.value}`, yLabel: `metrics.${m.value}` });
  };
  p.onchange = draw;
  m.onchange = draw;
  requestAnimationFrame(() => canvas.isConnected && draw());
  return h("div", { class: "card", id: "sweep" }, h("div", { class: "filters" },
    h("label", {}, "Param", p), h("label", {}, "Metric (last value)", m)), h("div", { class: "chart-box" }, canvas));
}

export async function renderCompare(view, params) {
  const ids = (params.get("ids") || "").split(",").map((s) => s.trim()).filter(Boolean);
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault();
    go("/compare", { ids: ev.target.elements.ids.value.replace(/\s+/g, "") });
  } }, h("label", {}, "Run ids (comma separated, 2 or more)",
    h("input", { name: "ids", class: "wide", value: ids.join(",") })), h("button", { type: "submit" }, "Compare"));
  if (ids.length < 2) {
    view.replaceChildren(h("h1", {}, "Compare runs"), form,
      h("p", { class: "muted" }, "Pick two or more runs on the Runs page, or paste their ids."));
    return;
  }
  const runs = await Promise.all(ids.map((id) => api(`/runs/${encodeURIComponent(id)}`)));
  const series = runs.map((r) => metricSeries(r.metrics));
  setTitle(`Compare ${runs.length} runs`);

  let baseIdx = Math.max(0, runs.findIndex((r) => r.id === params.get("base")));
  const holder = h("div", { class: "table-wrap" }, table(runs, series, baseIdx));
  const only = h("input", { type: "checkbox", id: "only-diff",
    onchange: () => holder.firstChild.classList.toggle("only-diff", only.checked) });
  const baseline = h("select", { id: "baseline", onchange: () => {
    baseIdx = baseline.selectedIndex;
    holder.replaceChildren(table(runs, series, baseIdx));
    holder.firstChild.classList.toggle("only-diff", only.checked);
  } }, runs.map((r, i) => h("option", { value: r.id, selected: i === baseIdx }, `${r.name} ${short(r.id)}`)));

  const opts = { log: false, smoothing: 0 };
  const drawn = [];
  const charts = h("div", { class: "grid2", id: "compare-charts" });
  const smoothing = h("input", { type: "range", id: "smoothing", min: 0, max: 0.95, step: 0.05, value: 0,
    oninput: () => { opts.smoothing = +smoothing.value; drawCharts(charts, runs, series, opts, drawn); } });
  const log = h("input", { type: "checkbox", id: "log-scale",
    onchange: () => { opts.log = log.checked; drawCharts(charts, runs, series, opts, drawn); } });
  const nCharts = drawCharts(charts, runs, series, opts, drawn);

  view.replaceChildren(...[h("h1", {}, `Compare ${runs.length} runs`), form,
    h("div", { class: "toolbar" }, h("label", {}, "Baseline ", baseline), h("label", { class: "check" }, only, "Only differences")),
    holder,
    h("h2", {}, "Metric charts"),
    nCharts ? h("div", { class: "toolbar" }, h("label", { class: "check" }, log, "Log scale"), h("label", {}, "Smoothing ", smoothing)) : null,
    nCharts ? charts : h("p", { class: "muted" }, "none"),
    h("h2", {}, "Sweep: param against metric"), sweep(runs, series)].filter(Boolean));
}
