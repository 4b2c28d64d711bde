// One pipeline run: its tasks on a time line, every task's params and metrics side by side, and
// the way to its lineage (highlighting this run's nodes).
import { api, apiOr } from "../api.js";
import { badge, fmtDuration, fmtTime, fmtValue, h, kv, short, versionHref } from "../dom.js";

const runHref = (id) => `#/runs/${encodeURIComponent(id)}`;
const ms = (iso) => (iso ? Date.parse(iso) : null);

function timeline(tasks, pr) {
  const start = Math.min(...tasks.map((t) => ms(t.started_at)), ms(pr.started_at));
  const now = Date.now();
  const end = Math.max(...tasks.map((t) => ms(t.ended_at) ?? now), ms(pr.ended_at) ?? 0, start + 1);
  const span = end - start;
  return h("div", { class: "timeline", id: "task-timeline" }, tasks.map((t) => {
    const a = ms(t.started_at) - start, b = (ms(t.ended_at) ?? now) - start;
    return h("div", { class: "tl-row", "data-id": t.id },
      h("span", { class: "clip" }, h("a", { href: runHref(t.id) }, `${t.name}#${short(t.id).slice(0, 6)}`), h("span", { class: "muted" }, ` ${fmtDuration(t.duration_s)}`)),
      h("div", { class: "tl-track", title: `${t.status} · ${fmtDuration(t.duration_s)}` },
        h("span", { class: `tl-bar ${t.status}`, style: `left:${((a / span) * 100).toFixed(2)}%;width:${(((b - a) / span) * 100).toFixed(2)}%` })));
  }));
}

// Newest value of each metric key (a task logs a series; the table shows where it ended).
function lastMetrics(run) {
  const out = {};
  for (const m of run.metrics || []) {
    const prev = out[m.key];
    if (!prev || (m.step ?? -1) > (prev.step ?? -1) || ((m.step ?? -1) === (prev.step ?? -1) && m.timestamp >= prev.timestamp)) out[m.key] = m;
  }
  return Object.fromEntries(Object.entries(out).map(([k, m]) => [k, m.value]));
}

function grid(tasks) {
  const params = [...new Set(tasks.flatMap((t) => Object.keys(t.params || {})))].sort();
  const metrics = [...new Set(tasks.flatMap((t) => Object.keys(t.last)))].sort();
  const cols = [...params.map((k) => ["params", k]), ...metrics.map((k) => ["metrics", k])];
  return h("div", { class: "scroll-x" }, h("table", { id: "task-grid" },
    h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Status"), h("th", {}, "Duration"),
      cols.map(([s, k]) => h("th", { class: s }, `${s === "params" ? "param" : "metric"} ${k}`)))),
    h("tbody", {}, tasks.map((t) => h("tr", { "data-id": t.id },
      h("td", {}, h("a", { href: runHref(t.id) }, t.name)), h("td", {}, badge(t.status)), h("td", { class: "num" }, fmtDuration(t.duration_s)),
      cols.map(([s, k]) => {
        const v = s === "params" ? (t.params || {})[k] : t.last[k];
        return h("td", { class: s === "metrics" ? "num" : "mono" }, v === undefined ? "" : typeof v === "number" ? String(+v.toPrecision(6)) : fmtValue(v));
      }))))));
}

// The model versions this run produced: its tasks' model outputs, looked up in the registry by
// digest (a version is registered from the bytes a task wrote, in or after the task).
async function producedVersions(tasks) {
  const digests = [...new Set(tasks.flatMap((t) => (t.outputs || []).filter((o) => o.kind === "model").map((o) => o.digest)))];
  const found = await Promise.all(digests.map((d) => apiOr("/model-versions", { digest: d }, [])));
  const seen = new Map();
  for (const v of found.flat()) seen.set(`${v.name}/${v.version}`, v);
  const versions = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  if (!versions.length) return h("p", { class: "muted", id: "produced-versions" }, "No registered model version came from this run.");
  return h("ul", { id: "produced-versions" }, versions.map((v) => h("li", {},
    h("a", { href: versionHref(v) }, `${v.name} v${v.version}`),
    (v.aliases || []).length ? ` (${v.aliases.join(", ")})` : "")));
}

export async function renderPipeline(view, id) {
  const pr = await api(`/pipeline-runs/${encodeURIComponent(id)}`);
  const listed = await api("/runs", { pipeline_run_id: pr.id, order: "oldest", limit: 1000 });
  // The listing leaves metrics out; a pipeline has tens of tasks, so each is read in full.
  const tasks = await Promise.all(listed.map(async (t) => {
    const full = await api(`/runs/${encodeURIComponent(t.id)}`);
    return { ...full, last: lastMetrics(full) };
  }));
  const produced = await producedVersions(tasks);
  view.replaceChildren(
    h("h1", {}, "Pipeline run ", h("span", { id: "pipeline-name" }, pr.pipeline), " ", badge(pr.status)),
    kv([["Id", h("span", { class: "mono", id: "pipeline-run-id" }, pr.id)], ["Started (UTC)", fmtTime(pr.started_at)],
      ["Duration", fmtDuration(pr.duration_s)], ["Host", pr.host], ["Tasks", String(tasks.length)],
      ["Lineage", tasks.length ? h("a", { id: "pipeline-lineage", href: `#/lineage/${encodeURIComponent(pr.id)}?direction=both&pipeline_run=${encodeURIComponent(pr.id)}` }, "this run's data and models") : "no tasks"],
      ["Other runs", h("a", { href: `#/runs?pipeline=${encodeURIComponent(pr.pipeline)}` }, `of ${pr.pipeline}`)],
      ["Config", Object.keys(pr.config || {}).length ? h("span", { class: "mono" }, JSON.stringify(pr.config)) : ""]]),
    h("h2", {}, "Tasks over time"), tasks.length ? timeline(tasks, pr) : h("p", { class: "muted" }, "No task runs recorded."),
    h("h2", {}, "Params and metrics of every task"), grid(tasks),
    h("h2", {}, "Model versions produced"), produced);
}
