// Interactive lineage graph (Cytoscape.js + dagre, left to right): up/downstream, depth, click to
// inspect, double-click to re-root. Readable at 200 nodes: runs of one task that wrote the same
// bytes fold into one node ("featurize ×12"), labels are names shortened from the middle and
// hidden when zoomed out (hover shows them), and this pipeline run's nodes stand out.
import { api, apiOr } from "../api.js";
import { fmtValue, h, kv, short, versionHref, versionText } from "../dom.js";
import { go } from "../nav.js";

const STATUS_COLORS = { success: "#1f8a4c", failed: "#c0392b", crashed: "#c0392b", running: "#2f5bd3" };
const MAX_LABEL = 24;

// "…/very/long/path/train-2026-11-01.csv" keeps its start and its end (the distinguishing part).
export function midEllipsis(text, max = MAX_LABEL) {
  if (!text || text.length <= max) return text;
  const keep = max - 1, head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}

const baseName = (uri) => (uri ? uri.replace(/\/+$/, "").split(/[/\\]/).pop() : "");

// The most telling name of an artifact: its recorded name, the file it was, the slot a run
// gave it ("model:churn"), and only then its digest.
function artifactName(n, slots) {
  return n.name || baseName(n.uri) || slots.get(n.id) || short(n.id);
}

// Which run stands for which: each group's first run (this pipeline run's, else the newest).
function foldMap(graph, expanded) {
  const rep = new Map();
  for (const g of graph.groups || []) {
    const key = `${g.artifact}|${g.name}`;
    if (expanded.has(key) || g.runs.length < 2) continue;
    const head = rep.get(g.runs[0]) || g.runs[0];
    for (const r of g.runs) if (!rep.has(r)) rep.set(r, head);
  }
  return rep;
}

function view(graph, expanded, context, versions) {
  const rep = foldMap(graph, expanded);
  const slots = new Map();
  graph.edges.forEach((e) => { if (e.name) { if (!slots.has(e.target)) slots.set(e.target, e.name); if (!slots.has(e.source)) slots.set(e.source, e.name); } });
  const members = new Map();
  for (const [r, head] of rep) members.set(head, (members.get(head) || 0) + 1);
  const shown = graph.nodes.filter((n) => !rep.has(n.id) || rep.get(n.id) === n.id);
  const names = new Map();
  shown.filter((n) => n.type === "task_run").forEach((n) => names.set(n.name, (names.get(n.name) || 0) + 1));
  // An artifact belongs to the pipeline run when one of its runs read or wrote it.
  const ofRun = new Set(graph.nodes.filter((n) => context && n.pipeline_run_id === context).map((n) => n.id));
  const touched = new Set(graph.edges.flatMap((e) => (ofRun.has(e.source) ? [e.target] : ofRun.has(e.target) ? [e.source] : [])));
  const nodes = shown.map((n) => {
    const isRun = n.type === "task_run";
    const label = isRun ? n.name || short(n.id) : artifactName(n, slots);
    const folded = members.get(n.id) || 0;
    const version = versions.get(n.id);
    const display = version ? midEllipsis(version) : isRun
      ? folded > 1 ? `${midEllipsis(label)} ×${folded}` : names.get(n.name) > 1 ? `${midEllipsis(label, 16)}#${n.id.slice(0, 6)}` : midEllipsis(label)
      : midEllipsis(label);
    return { ...n, label, display, folded, current: ofRun.has(n.id) || touched.has(n.id) ? "yes" : "no" };
  });
  const seen = new Set();
  const edges = [];
  for (const e of graph.edges) {
    const s = rep.get(e.source) || e.source, t = rep.get(e.target) || e.target;
    const key = `${s}|${t}|${e.type}|${e.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ ...e, source: s, target: t });
  }
  return { nodes, edges, rep };
}

function details(panel, node, graph, state) {
  const d = node.data();
  const isRun = d.type === "task_run";
  const ins = graph.edges.filter((e) => e.target === d.id).length;
  const outs = graph.edges.filter((e) => e.source === d.id).length;
  const group = (graph.groups || []).find((g) => g.runs.includes(d.id) && g.runs.length > 1);
  panel.replaceChildren(
    h("h2", { id: "node-title" }, d.label),
    kv([["Type", isRun ? "task run" : "artifact"], ["Id", h("span", { class: "mono" }, d.id)],
      ["Status", d.status], ["Kind", d.kind], ["URI", d.uri && h("span", { class: "mono" }, d.uri)], ["Edges in / out", `${ins} / ${outs}`],
      ["Folded runs", d.folded > 1 ? `${d.folded} runs of ${d.label} wrote the same bytes` : ""]]),
    h("p", {},
      isRun ? h("a", { href: `#/runs/${encodeURIComponent(d.id)}`, id: "open-run" }, "Open run") : h("a", { href: `#/artifacts/${encodeURIComponent(d.id)}`, id: "open-artifact" }, "Open artifact"),
      " · ", h("a", { href: `#/lineage/${encodeURIComponent(d.id)}?direction=both`, id: "reroot" }, "Lineage from here"),
      isRun ? null : [" · ", h("a", { href: `#/lineage/${encodeURIComponent(d.id)}?direction=downstream&impact=1`, id: "impact-link" }, "Impact")],
      group ? [" · ", h("button", { type: "button", id: "toggle-fold", onclick: () => state.toggle(`${group.artifact}|${group.name}`) },
        state.expanded.has(`${group.artifact}|${group.name}`) ? "Fold" : `Expand ×${group.runs.length}`)] : null),
    h("p", { id: "node-models" }));
  if (!isRun) modelLinks(d.id);
}

// An artifact that is a registered model version links to the registry.
async function modelLinks(digest) {
  let versions = [];
  try { versions = await api("/model-versions", { digest }); } catch { return; }
  const slot = document.getElementById("node-models");
  if (!slot || !versions.length) return;
  slot.replaceChildren("Model version: ", ...versions.flatMap((v, i) => [i ? ", " : "",
    h("a", { href: versionHref(v), class: "open-model" }, versionText(v))]));
}

// The registry's versions of one artifact, asked once per page (the impact list and the graph
// labels want the same ones).
function versionLookup() {
  const asked = new Map();
  return (digest) => {
    if (!asked.has(digest)) asked.set(digest, apiOr("/model-versions", { digest }, []));
    return asked.get(digest);
  };
}

// Impact of an artifact: the model versions downstream, and which of them hold an alias now.
async function impact(graph, versionsOf) {
  const models = graph.nodes.filter((n) => n.type === "artifact" && (n.kind === "model" || (n.name || "").startsWith("model")));
  const found = (await Promise.all(models.map((n) => versionsOf(n.id)))).flat();
  return h("div", { class: "card", id: "impact" }, h("h2", {}, "Impact: model versions it fed"),
    found.length ? h("ul", {}, found.map((v) => h("li", {}, h("a", { href: versionHref(v) }, `${v.name} v${v.version}`),
      v.aliases.length ? [" ", h("span", { class: "badge pass" }, v.aliases.join(", "))] : h("span", { class: "muted" }, " (no alias)"))))
      : h("p", { class: "muted" }, "No registered model version is downstream."));
}

const STYLE = [
  { selector: "node", style: { label: "data(display)", "font-size": 11, "text-valign": "center", "text-halign": "center",
    "text-wrap": "ellipsis", "text-max-width": 124, width: 132, height: 34, color: "#fff", "min-zoomed-font-size": 7 } },
  { selector: 'node[type = "task_run"]', style: { shape: "round-rectangle", "background-color": (n) => STATUS_COLORS[n.data("status")] || "#6b7280" } },
  { selector: "node[folded > 1]", style: { "border-width": 3, "border-style": "double", "border-color": "#1d2330" } },
  { selector: 'node[type = "artifact"]', style: { shape: "ellipse", "background-color": "#e8ecf6", color: "#1d2330", "border-width": 1, "border-color": "#9aa5c4" } },
  { selector: 'node[current = "no"]', style: { opacity: 0.55 } },
  { selector: 'node[current = "yes"]', style: { "underlay-color": "#2f5bd3", "underlay-padding": 4, "underlay-opacity": 0.25 } },
  { selector: 'node[root = "yes"]', style: { "border-width": 4, "border-color": "#f0b429", opacity: 1 } },
  { selector: "node:selected, node.found", style: { "border-width": 4, "border-color": "#2f5bd3", opacity: 1 } },
  { selector: "edge", style: { width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#9aa5c4",
    "target-arrow-color": "#9aa5c4", label: "data(label)", "font-size": 9, color: "#6b7280", "min-zoomed-font-size": 8 } },
  // Edges that hold by name (a location, not the bytes) are dashed.
  { selector: 'edge[by = "name"]', style: { "line-style": "dashed" } },
];

const legend = () => h("div", { class: "legend", id: "lineage-legend" },
  h("span", {}, h("i", { style: "background:#1f8a4c;border-radius:3px" }), "task run (green ok, red failed)"),
  h("span", {}, h("i", { style: "background:#e8ecf6;border-radius:50%" }), "artifact"),
  h("span", {}, h("i", { style: "border:3px double #1d2330" }), "folded runs (×N)"),
  h("span", {}, h("i", { style: "border:3px solid #f0b429" }), "where you started"),
  h("span", {}, h("i", { style: "background:rgba(47,91,211,.35)" }), "this pipeline run"),
  h("span", {}, "dashed edge: same location, not same bytes"));

export async function renderLineage(view_, ref, params) {
  const direction = params.get("direction") || "both";
  const depth = params.get("depth") || "";
  const graph = await api(`/lineage/${encodeURIComponent(ref)}`, { direction, depth });
  const rootNode = graph.nodes.find((n) => n.id === graph.root);
  const context = params.get("pipeline_run") || (rootNode && rootNode.pipeline_run_id) || (rootNode ? null : graph.root);
  const hasContext = context && graph.nodes.some((n) => n.pipeline_run_id === context);

  const dirSel = h("select", { id: "l-direction" }, ["upstream", "downstream", "both"].map((d) => h("option", { value: d, selected: d === direction }, d)));
  const depthIn = h("input", { id: "l-depth", type: "number", min: 1, placeholder: "all", value: depth, style: "width:6em" });
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault();
    go(`/lineage/${encodeURIComponent(ref)}`, { direction: dirSel.value, depth: depthIn.value, pipeline_run: params.get("pipeline_run") });
  } }, h("label", {}, "Direction", dirSel), h("label", {}, "Depth (edges)", depthIn), h("button", { type: "submit" }, "Apply"));

  const container = h("div", { id: "graph" });
  const tip = h("div", { id: "graph-tip", class: "card", style: "position:fixed;display:none;pointer-events:none;z-index:5;max-width:24rem;overflow-wrap:anywhere" });
  const panel = h("aside", { class: "card", id: "node-panel" }, h("p", { class: "muted" }, "Click a node for details; double-click to re-root."));
  const search = h("input", { id: "l-search", placeholder: "find a node", "aria-label": "find a node" });
  const tools = h("div", { class: "lineage-tools" },
    h("button", { type: "button", id: "l-fit", onclick: () => state.cy.fit(undefined, 20) }, "Fit"),
    h("button", { type: "button", id: "l-zoom-in", onclick: () => zoom(1.4) }, "Zoom in"),
    h("button", { type: "button", id: "l-zoom-out", onclick: () => zoom(1 / 1.4) }, "Zoom out"),
    h("button", { type: "button", id: "l-reset", onclick: () => { state.expanded.clear(); draw(); } }, "Reset"),
    h("button", { type: "button", id: "l-expand-all", onclick: () => { (graph.groups || []).forEach((g) => state.expanded.add(`${g.artifact}|${g.name}`)); draw(); } }, "Expand all"),
    h("form", { onsubmit: (ev) => { ev.preventDefault(); find(search.value); } }, search, h("button", { type: "submit" }, "Find")));
  const summary = h("p", { class: "muted", id: "lineage-summary" });
  const list = h("tbody");
  const versionsOf = versionLookup();
  const state = { expanded: new Set(), versions: new Map(), cy: null, toggle: (key) => { state.expanded.has(key) ? state.expanded.delete(key) : state.expanded.add(key); draw(); } };

  function zoom(f) {
    const cy = state.cy;
    cy.zoom({ level: cy.zoom() * f, renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } });
  }
  function find(text) {
    const q = text.trim().toLowerCase();
    const cy = state.cy;
    cy.nodes().removeClass("found");
    if (!q) return;
    const hits = cy.nodes().filter((n) => n.data("label").toLowerCase().includes(q) || n.id().startsWith(q));
    hits.addClass("found");
    if (hits.length) { cy.fit(hits, 60); details(panel, hits[0], graph, state); }
    summary.dataset.found = String(hits.length);
  }

  function draw() {
    const v = view(graph, state.expanded, hasContext ? context : null, state.versions);
    summary.textContent = `${graph.nodes.length} nodes, ${graph.edges.length} edges (${direction}${depth ? `, depth ${depth}` : ""})`
      + (v.rep.size ? `; ${v.rep.size - v.nodes.filter((n) => n.folded > 1).length} runs folded into ${v.nodes.filter((n) => n.folded > 1).length}` : "");
    list.replaceChildren(...v.nodes.map((n) => h("tr", { "data-id": n.id },
      h("td", {}, n.type === "task_run" ? h("a", { href: `#/runs/${encodeURIComponent(n.id)}` }, n.folded > 1 ? `${n.label} ×${n.folded}` : n.label) : h("a", { href: `#/artifacts/${encodeURIComponent(n.id)}` }, n.label)),
      h("td", {}, n.type === "task_run" ? "task run" : "artifact"),
      h("td", {}, fmtValue(n.type === "task_run" ? n.status : n.kind)),
      h("td", { class: "mono" }, h("a", { href: `#/lineage/${encodeURIComponent(n.id)}?direction=both` }, short(n.id))))));
    if (state.cy) state.cy.destroy();
    const cy = window.cytoscape({
      container, style: STYLE, wheelSensitivity: 0.3,
      elements: [
        ...v.nodes.map((n) => ({ data: { id: n.id, type: n.type, label: n.label, display: n.display, status: n.status, kind: n.kind,
          uri: n.uri, folded: n.folded, current: hasContext ? n.current : "yes", root: n.id === graph.root ? "yes" : "no" } })),
        ...v.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target,
          label: e.type === "location" ? "same location" : (e.name || ""), by: e.by || "digest" } })),
      ],
      layout: { name: "dagre", rankDir: "LR", nodeSep: 18, rankSep: 60, fit: true, padding: 20 },
    });
    cy.on("tap", "node", (ev) => details(panel, ev.target, graph, state));
    cy.on("dbltap", "node", (ev) => go(`/lineage/${encodeURIComponent(ev.target.id())}`, { direction, depth }));
    cy.on("mouseover", "node", (ev) => {
      const p = ev.renderedPosition || ev.target.renderedPosition(), box = container.getBoundingClientRect();
      tip.textContent = ev.target.data("folded") > 1 ? `${ev.target.data("label")} ×${ev.target.data("folded")}` : ev.target.data("label");
      tip.style.left = `${Math.min(box.left + p.x + 12, window.innerWidth - 200)}px`;
      tip.style.top = `${box.top + p.y + 12}px`;
      tip.style.display = "block";
    });
    cy.on("mouseout", "node", () => { tip.style.display = "none"; });
    state.cy = cy;
    window.tracklineGraph = cy;  // inspected by the browser tests and handy in the console
  }

  view_.replaceChildren(...[
    h("h1", {}, "Lineage of ", h("span", { class: "mono", id: "lineage-root" }, short(graph.root))),
    form, summary, legend(), tools,
    params.get("impact") ? await impact(graph, versionsOf) : null,
    h("div", { class: "lineage" }, container, panel), tip,
    h("h2", {}, "Nodes"), h("div", { class: "scroll-x" }, h("table", { id: "lineage-nodes" },
      h("thead", {}, h("tr", {}, ["Node", "Type", "Kind / status", "Id"].map((c) => h("th", {}, c)))), list))].filter(Boolean));
  draw();
  labelModels(graph, state, versionsOf).catch(() => {});  // rejected only when the page was left
}

// Model artifacts are labelled by the version they are ("churn v3 (production)"); few per graph.
async function labelModels(graph, state, versionsOf) {
  const models = graph.nodes.filter((n) => n.type === "artifact" && n.kind === "model").slice(0, 50);
  const found = await Promise.all(models.map((n) => versionsOf(n.id)));
  models.forEach((n, i) => {
    const v = found[i][0];
    if (v) state.versions.set(n.id, versionText(v));
  });
  if (!state.versions.size || state.cy.destroyed()) return;
  for (const [id, text] of state.versions) {
    const node = state.cy.getElementById(id);
    if (node.nonempty()) node.data("display", midEllipsis(text));
  }
}
