// Interactive lineage graph (Cytoscape.js + dagre): up/downstream, depth, click to inspect,
// double-click to re-root.
import { api } from "../api.js";
import { fmtValue, h, kv, short } from "../dom.js";
import { go } from "../nav.js";

const STATUS_COLORS = { success: "#1f8a4c", failed: "#c0392b", crashed: "#c0392b", running: "#2f5bd3" };

function details(panel, node, graph) {
  const d = node.data();
  const isRun = d.type === "task_run";
  const ins = graph.edges.filter((e) => e.target === d.id).length;
  const outs = graph.edges.filter((e) => e.source === d.id).length;
  panel.replaceChildren(
    h("h2", { id: "node-title" }, d.label),
    kv([["Type", isRun ? "task run" : "artifact"], ["Id", h("span", { class: "mono" }, d.id)],
      ["Status", d.status], ["Kind", d.kind], ["URI", d.uri], ["Edges in / out", `${ins} / ${outs}`]]),
    h("p", {},
      isRun ? h("a", { href: `#/runs/${encodeURIComponent(d.id)}`, id: "open-run" }, "Open run") : null,
      isRun ? " · " : null,
      h("a", { href: `#/lineage/${encodeURIComponent(d.id)}?direction=both`, id: "reroot" }, "Lineage from here")),
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
    h("a", { href: `#/models/${encodeURIComponent(v.name)}/${v.version}`, class: "open-model" },
      `${v.name} v${v.version}${v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}`)]));
}

export async function renderLineage(view, ref, params) {
  const direction = params.get("direction") || "both";
  const depth = params.get("depth") || "";
  const graph = await api(`/lineage/${encodeURIComponent(ref)}`, { direction, depth });

  const dirSel = h("select", { id: "l-direction" }, ["upstream", "downstream", "both"].map((d) =>
    h("option", { value: d, selected: d === direction }, d)));
  const depthIn = h("input", { id: "l-depth", type: "number", min: 1, placeholder: "all", value: depth, style: "width:6em" });
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault();
    go(`/lineage/${encodeURIComponent(ref)}`, { direction: dirSel.value, depth: depthIn.value });
  } }, h("label", {}, "Direction", dirSel), h("label", {}, "Depth (edges)", depthIn), h("button", { type: "submit" }, "Apply"));

  const container = h("div", { id: "graph" });
  const panel = h("aside", { class: "card", id: "node-panel" }, h("p", { class: "muted" }, "Click a node for details; double-click to re-root."));
  const list = h("table", { id: "lineage-nodes" }, h("thead", {}, h("tr", {}, ["Node", "Type", "Kind / status", "Id"].map((c) => h("th", {}, c)))),
    h("tbody", {}, graph.nodes.map((n) => h("tr", { "data-id": n.id },
      h("td", {}, n.type === "task_run" ? h("a", { href: `#/runs/${encodeURIComponent(n.id)}` }, n.name || short(n.id)) : (n.name || short(n.id))),
      h("td", {}, n.type === "task_run" ? "task run" : "artifact"),
      h("td", {}, fmtValue(n.type === "task_run" ? n.status : n.kind)),
      h("td", { class: "mono" }, h("a", { href: `#/lineage/${encodeURIComponent(n.id)}?direction=both` }, short(n.id)))))));

  view.replaceChildren(
    h("h1", {}, "Lineage of ", h("span", { class: "mono", id: "lineage-root" }, short(graph.root))),
    form, h("p", { class: "muted", id: "lineage-summary" }, `${graph.nodes.length} nodes, ${graph.edges.length} edges (${direction}${depth ? `, depth ${depth}` : ""})`),
    h("div", { class: "lineage" }, container, panel),
    h("h2", {}, "Nodes"), list);

  const elements = [
    ...graph.nodes.map((n) => ({ data: {
      id: n.id, type: n.type, label: n.name || short(n.id), status: n.status, kind: n.kind, uri: n.uri,
      root: n.id === graph.root ? "yes" : "no",
    } })),
    ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target,
      label: e.type === "location" ? "same location" : (e.name || ""), by: e.by || "digest" } })),
  ];
  const cy = window.cytoscape({
    container, elements,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
        "text-wrap": "ellipsis", "text-max-width": 120, width: 130, height: 34, color: "#fff" } },
      { selector: 'node[type = "task_run"]', style: { shape: "round-rectangle",
        "background-color": (n) => STATUS_COLORS[n.data("status")] || "#6b7280" } },
      { selector: 'node[type = "artifact"]', style: { shape: "ellipse", "background-color": "#e8ecf6", color: "#1d2330",
        "border-width": 1, "border-color": "#9aa5c4" } },
      { selector: 'node[root = "yes"]', style: { "border-width": 4, "border-color": "#f0b429" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#2f5bd3" } },
      { selector: "edge", style: { width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
        "line-color": "#9aa5c4", "target-arrow-color": "#9aa5c4", label: "data(label)", "font-size": 9, color: "#6b7280" } },
      // Edges that hold by name (a location, not the bytes) are dashed.
      { selector: 'edge[by = "name"]', style: { "line-style": "dashed" } },
    ],
    layout: { name: "dagre", rankDir: "LR", nodeSep: 25, rankSep: 70 },
  });
  cy.on("tap", "node", (ev) => details(panel, ev.target, graph));
  cy.on("dbltap", "node", (ev) => go(`/lineage/${encodeURIComponent(ev.target.id())}`, { direction, depth }));
  window.tracklineGraph = cy;  // inspected by the browser tests and handy in the console
}
