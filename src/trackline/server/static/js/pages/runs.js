// Runs: a search in the search language (docs/query.md) with filters, chosen param/metric
// columns, server-side sort and paging, and a selection (kept across pages) to compare.
import { ApiError, api, isAbort } from "../api.js";
import { badge, digest, fmtDuration, fmtTime, h, setTitle, sortHeader, scroller, val } from "../dom.js";
import { go } from "../nav.js";

const STATUSES = ["", "running", "success", "failed", "crashed", "skipped", "up_for_retry", "cancelled"];
const PAGE_SIZES = [25, 50, 100, 200];
const COLS_KEY = "trackline.runs.columns";
const PICKED_KEY = "trackline.runs.picked";

// Picked runs live for the browser tab: paging, sorting and searching never drop them.
const picked = new Map(JSON.parse(sessionStorage.getItem(PICKED_KEY) || "[]"));
const savePicked = () => sessionStorage.setItem(PICKED_KEY, JSON.stringify([...picked]));

// The time inputs show and take UTC: "2026-03-10T08:30" means 08:30Z whatever the browser's zone.
const toIso = (shown) => (shown ? `${shown}:00Z` : "");
const toShown = (iso) => (iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toISOString().slice(0, 16) : "");
const quote = (s) => `'${String(s).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

// A param/metric key as a field of the language: quoted when it is not a plain name.
export const field = (section, key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
  ? `${section}.${key}` : `${section}."${key.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

// "params.lr" -> row.params.lr; 'metrics."a.b"' -> row.metrics["a.b"] (labels as the server
// returns them in `columns`).
const SECTIONS = { params: "params", metrics: "metrics", external: "external", resources: "resources" };
function cell(row, label) {
  const dot = label.indexOf(".");
  const section = dot > 0 ? SECTIONS[label.slice(0, dot)] : undefined;
  if (!section) return row[label];
  const key = label.slice(dot + 1).replace(/"([^"]*)"|'([^']*)'/g, (_, a, b) => a ?? b);
  return (row[section] || {})[key];
}

function filterWhere(f) {
  return [
    f.pipeline && `pipeline = ${quote(f.pipeline)}`, f.status && `status = ${quote(f.status)}`,
    f.since && `started >= ${quote(f.since)}`, f.until && `started < ${quote(f.until)}`,
  ].filter(Boolean).join(" and ");
}

function parseOrder(text) {
  const first = (text || "").split(",")[0].trim();
  const m = /^(.*?)(?:\s+(asc|desc))?$/i.exec(first);
  return first ? { field: m[1].trim(), dir: (m[2] || "asc").toLowerCase() } : { field: "started", dir: "desc" };
}

async function search(state, columns) {
  const filters = filterWhere(state);
  const where = state.where && filters ? `(${state.where}) and ${filters}` : state.where || filters;
  const order = state.order_by && parseOrder(state.order_by).field;
  const cols = columns.length ? [...new Set([...columns, ...(order && order.includes(".") ? [order] : [])])] : [];
  try {
    const res = await api("/runs", { search: 1, total: 1, where, order_by: state.order_by,
      columns: cols.join(",") || undefined, limit: state.limit, offset: state.offset });
    return { ...res, error: null };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 422)) throw err;
    // Report the parser's message about the text the user typed (its columns, not ours).
    let message = err.message;
    if (state.where && filters) {
      await api("/runs", { search: 1, where: state.where, limit: 1 }).catch((e) => {
        if (isAbort(e)) throw e;  // the user has moved on: nothing to draw
        message = e.message;
      });
    }
    return { rows: [], columns: [], total: 0, error: message };
  }
}

export async function renderRuns(view, params) {
  const state = {
    pipeline: params.get("pipeline") || "", status: params.get("status") || "",
    since: toIso(toShown(params.get("since"))),
    until: toIso(toShown(params.get("until"))),
    where: params.get("where") || "", order_by: params.get("order_by") || "",
    limit: PAGE_SIZES.includes(+params.get("limit")) ? +params.get("limit") : 50,
    offset: Math.max(0, parseInt(params.get("offset") || "0", 10) || 0),
  };
  const colsParam = params.get("cols");
  const chosen = (colsParam ?? localStorage.getItem(COLS_KEY) ?? "").split(",").filter(Boolean);
  const [found, keys, pipes] = await Promise.all([
    search(state, chosen),
    api("/run-fields"),
    api("/runs", { group_by: "pipeline", agg: "count", limit: 1000 }),
  ]);
  const nav = (change) => go("/runs", { ...state, cols: colsParam, ...change });
  const shownCols = found.columns.filter((c) => c.includes("."));
  const names = pipes.rows.map((r) => r.pipeline).filter(Boolean).sort();
  const order = parseOrder(state.order_by);

  // -- the search form ------------------------------------------------------------------------
  const ctl = (label, input) => h("label", {}, label, input);
  const pipeline = h("select", { name: "pipeline", id: "f-pipeline" }, h("option", { value: "" }, "all pipelines"),
    names.map((n) => h("option", { value: n, selected: n === state.pipeline }, n)));
  const status = h("select", { name: "status", id: "f-status" },
    STATUSES.map((s) => h("option", { value: s, selected: s === state.status }, s || "any status")));
  const since = h("input", { type: "datetime-local", id: "f-since", value: toShown(state.since) });
  const until = h("input", { type: "datetime-local", id: "f-until", value: toShown(state.until) });
  const where = h("input", { type: "text", id: "f-where", class: "wide", value: state.where,
    placeholder: "params.lr > 0.01 and metrics.acc > 0.9", spellcheck: "false" });
  const orderBy = h("input", { type: "text", id: "f-order", value: state.order_by, placeholder: "metrics.acc desc", spellcheck: "false" });
  const form = h("form", { class: "filters", id: "run-search", onsubmit: (ev) => {
    ev.preventDefault();
    nav({ pipeline: pipeline.value, status: status.value, since: toIso(since.value), until: toIso(until.value),
      where: where.value.trim(), order_by: orderBy.value.trim(), offset: 0 });
  } },
  ctl("Pipeline", pipeline), ctl("Status", status),
  ctl("Started from (UTC)", since), ctl("Started before (UTC)", until),
  ctl("Where (search language)", where), ctl("Order by", orderBy),
  h("button", { type: "submit" }, "Search"),
  h("button", { type: "button", onclick: () => go("/runs", { cols: colsParam }) }, "Clear"));

  // -- best by metric and the column chooser ----------------------------------------------------
  // Preset to the metric and direction the runs are sorted by, when they are.
  const sortedBy = keys.metrics.find((k) => field("metrics", k) === order.field);
  const bestMetric = h("select", { id: "best-metric" }, keys.metrics.map((k) => h("option", { value: k, selected: k === sortedBy }, k)));
  const bestDir = h("select", { id: "best-dir" }, h("option", { value: "desc" }, "highest"),
    h("option", { value: "asc", selected: !!sortedBy && order.dir === "asc" }, "lowest"));
  const best = h("form", { class: "filters", id: "best-form", onsubmit: (ev) => {
    ev.preventDefault();
    if (bestMetric.value) nav({ order_by: `${field("metrics", bestMetric.value)} ${bestDir.value}`, offset: 0 });
  } }, ctl("Best by metric", bestMetric), ctl("Best is", bestDir),
  h("button", { type: "submit", disabled: !keys.metrics.length }, "Show best first"));

  const boxes = ["params", "metrics"].flatMap((section) => keys[section].map((k) => {
    const f = field(section, k);
    return h("label", { class: "check" }, h("input", { type: "checkbox", "data-field": f, checked: chosen.includes(f) }), f);
  }));
  const chooser = h("details", { id: "col-chooser", class: "chooser" }, h("summary", {}, `Columns (${chosen.length} chosen)`),
    h("form", { onsubmit: (ev) => {
      ev.preventDefault();
      const cols = [...ev.target.querySelectorAll("input[data-field]:checked")].map((i) => i.dataset.field).join(",");
      localStorage.setItem(COLS_KEY, cols);  // remembered by this browser for the next visit
      nav({ cols, offset: 0 });
    } }, h("fieldset", {}, h("legend", {}, "Params and metrics to show"), boxes.length ? boxes : h("span", { class: "muted" }, "none recorded")),
    h("button", { type: "submit", id: "apply-columns" }, "Apply columns")));

  // -- selection and paging ----------------------------------------------------------------------
  const count = h("span", { id: "picked-count" });
  const compare = h("button", { type: "button", id: "compare-selected",
    onclick: () => go("/compare", { ids: [...picked.keys()].join(",") }) }, "Compare selected");
  const clear = h("button", { type: "button", id: "clear-selected", onclick: () => { picked.clear(); savePicked(); refresh(); } }, "Clear selection");
  function refresh() {
    count.textContent = `${picked.size} selected`;
    compare.disabled = picked.size < 2;
    clear.disabled = picked.size === 0;
    view.querySelectorAll("input.pick").forEach((i) => { i.checked = picked.has(i.dataset.id); });
  }
  const pick = (r) => h("input", { type: "checkbox", class: "pick", "data-id": r.id, "aria-label": `Select ${r.name} ${r.id.slice(0, 12)}`,
    onchange: (ev) => { ev.target.checked ? picked.set(r.id, r.name) : picked.delete(r.id); savePicked(); refresh(); } });

  const total = found.total ?? found.rows.length;
  const first = found.rows.length ? state.offset + 1 : 0;
  const last = state.offset + found.rows.length;
  const pageSize = h("select", { id: "page-size", onchange: (ev) => nav({ limit: ev.target.value, offset: 0 }) },
    PAGE_SIZES.map((n) => h("option", { value: n, selected: n === state.limit }, n)));
  const pager = h("div", { class: "pager" },
    h("span", { id: "run-count", "aria-live": "polite" }, `${first}–${last} of ${total} run(s)`),
    h("button", { type: "button", id: "page-prev", disabled: state.offset === 0,
      onclick: () => nav({ offset: Math.max(0, state.offset - state.limit) }) }, "‹ Previous"),
    h("button", { type: "button", id: "page-next", disabled: last >= total,
      onclick: () => nav({ offset: state.offset + state.limit }) }, "Next ›"),
    ctl("Per page", pageSize));

  // -- the table (sorted by the server) ----------------------------------------------------------
  const cols = [
    { key: "name", label: "Task", render: (r) => h("a", { href: `#/runs/${encodeURIComponent(r.id)}`, class: "run-link" }, r.name) },
    { key: "pipeline", label: "Pipeline", render: (r) => r.pipeline || "" },
    { key: "status", label: "Status", render: (r) => badge(r.status) },
    { key: "started", label: "Started (UTC)", render: (r) => fmtTime(r.started_at) },
    { key: "duration", label: "Duration", render: (r) => fmtDuration(r.duration_s) },
    ...shownCols.map((c) => ({ key: c, label: c, render: (r) => val(cell(r, c)) })),
  ];
  const pageBox = h("input", { type: "checkbox", id: "pick-page", "aria-label": "Select every run on this page",
    onchange: (ev) => { for (const r of found.rows) ev.target.checked ? picked.set(r.id, r.name) : picked.delete(r.id); savePicked(); refresh(); } });
  const table = h("table", { id: "runs-table" },
    h("thead", {}, h("tr", {}, h("th", { "data-key": "pick" }, pageBox),
      cols.map((c) => sortHeader(c.label, { key: c.key, dir: order.field === c.key ? order.dir : null,
        onSort: (dir) => nav({ order_by: `${c.key} ${dir}`, offset: 0 }) })),
      h("th", { "data-key": "id" }, "Id"))),
    h("tbody", {}, found.rows.map((r) => h("tr", {}, h("td", {}, pick(r)),
      cols.map((c) => h("td", {}, c.render(r))), h("td", {}, digest(r.id))))));

  setTitle(state.where ? "Runs: search" : "Runs");
  view.replaceChildren(...[
    h("h1", {}, "Runs"), form,
    found.error ? h("p", { class: "error", id: "search-error", role: "alert" }, found.error) : null,
    h("div", { class: "toolbar" }, best, chooser),
    h("div", { class: "toolbar" }, count, compare, clear),
    pager,
    found.rows.length ? scroller(table) : h("p", { class: "muted" }, "No runs match."),
  ].filter(Boolean));
  refresh();
}
