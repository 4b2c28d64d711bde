// Run detail: params, metrics with step charts, inputs/outputs, resources chart, environment, error.
import { api } from "../api.js";
import { lineChart, metricSeries } from "../charts.js";
import { badge, fmtBytes, fmtDuration, fmtTime, fmtValue, h, kv, scroller, short } from "../dom.js";

function artifactTable(refs, id) {
  if (!refs.length) return h("p", { class: "muted" }, "none");
  return scroller(h("table", { id }, h("thead", {}, h("tr", {}, ["Slot", "Kind", "Digest", "URI"].map((c) => h("th", {}, c)))),
    h("tbody", {}, refs.map((a) => h("tr", {},
      h("td", {}, a.name), h("td", {}, a.kind),
      h("td", {}, h("a", { href: `#/lineage/${encodeURIComponent(a.digest)}?direction=both`, class: "mono" }, short(a.digest))),
      h("td", { class: "mono" }, a.uri || ""))))));
}

function metricsSection(run) {
  if (!run.metrics.length) return [h("p", { class: "muted" }, "none")];
  const series = metricSeries(run.metrics);
  const rows = [...series].map(([key, pts]) => h("tr", {}, h("td", {}, key),
    h("td", { class: "mono" }, fmtValue(pts[pts.length - 1].y)), h("td", {}, pts.length)));
  const table = h("table", { id: "metrics-table" }, h("thead", {}, h("tr", {}, ["Metric", "Last value", "Points"].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows));
  const charts = h("div", { class: "grid2" });
  for (const [key, pts] of series) {
    if (pts.length < 2) continue;  // a single value reads better in the table
    const canvas = h("canvas", { "data-metric": key });
    charts.append(h("div", { class: "card" }, h("strong", {}, key), h("div", { class: "chart-box" }, canvas)));
    requestAnimationFrame(() => lineChart(canvas, [{ label: key, points: pts }]));
  }
  return [scroller(table), charts];
}

function resourcesSection(res) {
  if (!res) return [h("p", { class: "muted" }, "not recorded")];
  const out = [kv([
    ["CPU user", `${res.cpu_user_s.toFixed(2)} s`], ["CPU system", `${res.cpu_system_s.toFixed(2)} s`],
    ["Peak RSS", fmtBytes(res.peak_rss_bytes)], ["IO read", fmtBytes(res.io_read_bytes)],
    ["IO write", fmtBytes(res.io_write_bytes)],
    ["GPU", res.gpu ? (res.gpu.available === false ? "none" : JSON.stringify(res.gpu)) : ""],
  ])];
  if (res.samples && res.samples.length) {
    const canvas = h("canvas", { id: "resource-chart" });
    out.push(h("div", { class: "card" }, h("strong", {}, `Sampled CPU and memory (${res.samples.length} samples)`),
      h("div", { class: "chart-box" }, canvas)));
    requestAnimationFrame(() => lineChart(canvas, [
      { label: "CPU %", points: res.samples.map((s) => ({ x: s.t, y: s.cpu_percent })) },
      { label: "RSS MiB", axis: "y2", points: res.samples.map((s) => ({ x: s.t, y: s.rss_bytes / 1048576 })) },
    ], { xLabel: "seconds since start", yLabel: "CPU %" }));
  } else {
    out.push(h("p", { class: "muted" }, "No samples: the run was shorter than the sampling threshold."));
  }
  return out;
}

function environmentSection(env) {
  if (!env) return [h("p", { class: "muted" }, "not recorded")];
  const pkgs = Object.entries(env.packages || {}).sort();
  return [kv([
    ["Python", env.python], ["Platform", env.platform], ["Host", env.hostname], ["CPUs", env.cpu_count],
    ["Memory", fmtBytes(env.memory_bytes)], ["Git commit", env.git_commit], ["Git branch", env.git_branch],
    ["Git dirty", env.git_dirty === null || env.git_dirty === undefined ? "" : String(env.git_dirty)],
    ["Env vars", Object.keys(env.env_vars || {}).length ? JSON.stringify(env.env_vars) : ""],
    ["Digest", h("span", { class: "mono" }, short(env.digest))],
  ]),
  h("details", {}, h("summary", {}, `${pkgs.length} packages`),
    scroller(h("table", {}, h("tbody", {}, pkgs.map(([n, v]) => h("tr", {}, h("td", {}, n), h("td", { class: "mono" }, v)))))))];
}

export async function renderRun(view, ref) {
  const run = await api(`/runs/${encodeURIComponent(ref)}`);
  const params = Object.entries(run.params).sort();
  const parts = [
    h("h1", {}, h("span", { id: "run-name" }, run.name), " ", badge(run.status)),
    h("p", {},
      h("a", { href: `#/lineage/${encodeURIComponent(run.id)}?direction=both`, id: "lineage-link" }, "Lineage graph"), " · ",
      h("a", { href: `#/runs?pipeline=${encodeURIComponent(run.pipeline || "")}` }, "Other runs of this pipeline")),
    kv([
      ["Id", h("span", { class: "mono", id: "run-id" }, run.id)], ["Pipeline", run.pipeline],
      ["Pipeline run", run.pipeline_run_id ? h("a", { href: `#/pipelines/${encodeURIComponent(run.pipeline_run_id)}`, class: "mono", id: "pipeline-run-link" }, run.pipeline_run_id) : ""],
      ["Parent", run.parent_id ? h("a", { href: `#/runs/${run.parent_id}`, class: "mono" }, short(run.parent_id)) : ""],
      ["Started", fmtTime(run.started_at)], ["Ended", fmtTime(run.ended_at)], ["Duration", fmtDuration(run.duration_s)],
      ["Host / pid", run.host ? `${run.host} / ${run.pid}` : ""],
      ["Code", run.code ? `${run.code.module || ""}.${run.code.qualname || ""}` : ""],
      ["External ids", Object.keys(run.external_ids || {}).length ? JSON.stringify(run.external_ids) : ""],
    ]),
    run.error ? h("section", { id: "error" }, h("h2", {}, "Error"),
      h("div", { class: "error" }, `${run.error.type}: ${run.error.message}`),
      run.error.traceback ? h("pre", {}, run.error.traceback) : null) : null,
    h("h2", {}, "Params"),
    params.length ? scroller(h("table", { id: "params-table" }, h("tbody", {}, params.map(([k, v]) =>
      h("tr", {}, h("td", {}, k), h("td", { class: "mono" }, fmtValue(v))))))) : h("p", { class: "muted" }, "none"),
    h("h2", {}, "Metrics"), ...metricsSection(run),
    h("h2", {}, "Inputs"), artifactTable(run.inputs, "inputs-table"),
    h("h2", {}, "Outputs"), artifactTable(run.outputs, "outputs-table"),
    h("h2", {}, "Resources"), ...resourcesSection(run.resources),
    h("h2", {}, "Environment"), ...environmentSection(run.environment),
  ];
  view.replaceChildren(...parts.filter(Boolean));
}
