// Runs: filter by pipeline, status and time; sortable columns; pick runs to compare.
import { api } from "../api.js";
import { go } from "../nav.js";
import { badge, fmtDuration, fmtTime, h, short, sortableTable } from "../dom.js";

const STATUSES = ["", "running", "success", "failed", "crashed", "skipped", "up_for_retry", "cancelled"];

const toIso = (local) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16) : "");

export async function renderRuns(view, params) {
  const filters = {
    pipeline: params.get("pipeline") || "", status: params.get("status") || "",
    since: params.get("since") || "", until: params.get("until") || "",
  };
  const [runs, pipes] = await Promise.all([
    api("/runs", { ...filters, limit: params.get("limit") || 500 }),
    api("/pipeline-runs", { limit: 1000 }),
  ]);
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
    { key: "id", label: "Id", render: (r) => h("span", { class: "mono" }, short(r.id)) },
  ], runs, { id: "runs-table", sort: { key: "started_at", dir: "desc" } });

  view.replaceChildren(
    h("h1", {}, "Runs"), form,
    h("p", { class: "muted", id: "run-count" }, `${runs.length} run(s)`, " ", compare),
    runs.length ? table : h("p", { class: "muted" }, "No runs match."));
}
