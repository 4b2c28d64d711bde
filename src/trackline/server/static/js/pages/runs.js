// Runs: filter by pipeline, status and time, or search in the search language (docs/query.md);
// sortable columns; pick runs to compare.
import { ApiError, api } from "../api.js";
import { go } from "../nav.js";
import { badge, fmtDuration, fmtTime, fmtValue, h, short, sortableTable } from "../dom.js";

const STATUSES = ["", "running", "success", "failed", "crashed", "skipped", "up_for_retry", "cancelled"];

const toIso = (local) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16) : "");

// "params.lr" -> row.params.lr; "metrics.\"a.b\"" -> row.metrics["a.b"] (labels as the server
// returns them in `columns`).
const SECTIONS = { params: "params", metrics: "metrics", external: "external", resources: "resources" };
function cell(row, label) {
  const dot = label.indexOf(".");
  const section = dot > 0 ? SECTIONS[label.slice(0, dot)] : undefined;
  if (!section) return row[label];
  let key = label.slice(dot + 1).replace(/"([^"]*)"|'([^']*)'/g, (_, a, b) => a ?? b);
  return (row[section] || {})[key];
}

async function searchRuns(where, orderBy, limit) {
  try {
    const res = await api("/runs", { where, order_by: orderBy, limit });
    return { runs: res.rows, columns: res.columns.filter((c) => c.includes(".")), error: null };
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) return { runs: [], columns: [], error: err.message };
    throw err;
  }
}

export async function renderRuns(view, params) {
  const filters = {
    pipeline: params.get("pipeline") || "", status: params.get("status") || "",
    since: params.get("since") || "", until: params.get("until") || "",
  };
  const whereText = params.get("where") || "";
  const orderText = params.get("order_by") || "";
  const limit = params.get("limit") || 500;
  const [found, pipes] = await Promise.all([
    whereText || orderText
      ? searchRuns(whereText, orderText, limit)
      : api("/runs", { ...filters, limit }).then((runs) => ({ runs, columns: [], error: null })),
    api("/pipeline-runs", { limit: 1000 }),
  ]);
  const runs = found.runs;
  const names = [...new Set(pipes.map((p) => p.pipeline).concat(runs.map((r) => r.pipeline)).filter(Boolean))].sort();

  const pipeline = h("select", { name: "pipeline", id: "f-pipeline" },
    h("option", { value: "" }, "all pipelines"),
    names.map((n) => h("option", { value: n, selected: n === filters.pipeline }, n)));
  const status = h("select", { name: "status", id: "f-status" },
    STATUSES.map((s) => h("option", { value: s, selected: s === filters.status }, s || "any status")));
  const since = h("input", { type: "datetime-local", id: "f-since", value: toLocal(filters.since) });
  const until = h("input", { type: "datetime-local", id: "f-until", value: toLocal(filters.until) });
  const form = h("form", { class: "filters", id: "run-filters", onsubmit: (ev) => {
    ev.preventDefault();
    go("/runs", { pipeline: pipeline.value, status: status.value, since: toIso(since.value), until: toIso(until.value) });
  } },
  h("label", {}, "Pipeline", pipeline), h("label", {}, "Status", status),
  h("label", {}, "Started after (UTC)", since), h("label", {}, "Started before (UTC)", until),
  h("button", { type: "submit" }, "Filter"),
  h("button", { type: "button", onclick: () => go("/runs") }, "Clear"));

  const where = h("input", { type: "text", id: "f-where", size: 48, value: whereText,
    placeholder: "params.lr > 0.01 and metrics.acc > 0.9" });
  const order = h("input", { type: "text", id: "f-order", size: 24, value: orderText,
    placeholder: "metrics.acc desc" });
  const search = h("form", { class: "filters", id: "run-search", onsubmit: (ev) => {
    ev.preventDefault();
    go("/runs", { where: where.value, order_by: order.value });
  } },
  h("label", {}, "Where", where), h("label", {}, "Order by", order),
  h("button", { type: "submit" }, "Search"),
  found.error ? h("p", { class: "error", id: "search-error" }, found.error) : null);

  const picked = new Set();
  const compare = h("button", { id: "compare-selected", disabled: true, onclick: () => go("/compare", { ids: [...picked].join(",") }) },
    "Compare selected");
  const table = sortableTable([
    { key: "pick", label: "", sortable: false, render: (r) => h("input", { type: "checkbox", class: "pick", "data-id": r.id,
      onchange: (ev) => { ev.target.checked ? picked.add(r.id) : picked.delete(r.id); compare.disabled = picked.size < 2; } }) },
    { key: "name", label: "Task", render: (r) => h("a", { href: `#/runs/${encodeURIComponent(r.id)}`, class: "run-link" }, r.name) },
    { key: "pipeline", label: "Pipeline" },
    { key: "status", label: "Status", render: (r) => badge(r.status) },
    { key: "started_at", label: "Started (UTC)", render: (r) => fmtTime(r.started_at) },
    { key: "duration_s", label: "Duration", render: (r) => fmtDuration(r.duration_s) },
    ...found.columns.map((c) => ({ key: c, label: c, value: (r) => cell(r, c), render: (r) => fmtValue(cell(r, c)) })),
    { key: "id", label: "Id", render: (r) => h("span", { class: "mono" }, short(r.id)) },
  ], runs, { id: "runs-table", sort: orderText ? null : { key: "started_at", dir: "desc" } });

  view.replaceChildren(
    h("h1", {}, "Runs"), form, search,
    h("p", { class: "muted", id: "run-count" }, `${runs.length} run(s)`, " ", compare),
    runs.length ? table : h("p", { class: "muted" }, "No runs match."));
}
