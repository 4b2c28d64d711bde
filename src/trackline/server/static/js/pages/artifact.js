// One artifact: where its bytes were seen, which runs wrote and read it, the model versions it
// is, and for tables the stored profile (rows, nulls, histograms, top values).
import { api } from "../api.js";
import { badge, fmtBytes, fmtTime, h, kv, short, versionHref, versionText } from "../dom.js";
import { columnView } from "./profile.js";

const runLink = (n) => h("a", { href: `#/runs/${encodeURIComponent(n.id)}` }, `${n.name || "run"}#${short(n.id).slice(0, 6)}`);

function runsTable(id, rows) {
  if (!rows.length) return h("p", { class: "muted", id }, "none recorded");
  return h("div", { class: "scroll-x" }, h("table", { id }, h("thead", {}, h("tr", {}, ["Run", "Slot", "Status", "Started (UTC)", "Pipeline run"].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map(({ n, slot }) => h("tr", {}, h("td", {}, runLink(n)), h("td", { class: "mono" }, slot || ""), h("td", {}, n.status ? badge(n.status) : ""),
      h("td", {}, fmtTime(n.started_at)),
      h("td", {}, n.pipeline_run_id ? h("a", { href: `#/pipelines/${encodeURIComponent(n.pipeline_run_id)}`, class: "mono" }, short(n.pipeline_run_id)) : ""))))));
}

export async function renderArtifact(view, ref) {
  const art = await api(`/artifacts/${encodeURIComponent(ref)}`);
  const [locations, graph, versions, reports] = await Promise.all([
    api(`/artifacts/${encodeURIComponent(art.digest)}/locations`).catch(() => []),
    api(`/lineage/${encodeURIComponent(art.digest)}`, { direction: "both", depth: 1 }),
    api("/model-versions", { digest: art.digest }).catch(() => []),
    api("/drift-reports", { artifact: art.digest, limit: 20 }).catch(() => [])]);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const side = (type, end) => graph.edges.filter((e) => e.type === type && e[end] === art.digest)
    .map((e) => ({ n: byId.get(end === "target" ? e.source : e.target), slot: e.name })).filter((x) => x.n && x.n.type === "task_run");
  const producers = side("output", "target");
  const consumers = side("input", "source");
  const p = art.profile;
  const columns = p && p.columns ? Object.entries(p.columns) : [];
  view.replaceChildren(...[
    h("h1", {}, "Artifact ", h("span", { id: "artifact-name" }, art.name || short(art.digest))),
    kv([["Digest", h("span", { class: "mono" }, art.digest)], ["Kind", art.kind], ["URI", art.uri && h("span", { class: "mono" }, art.uri)],
      ["Size", fmtBytes(art.size_bytes)], ["Rows", art.rows ?? (p ? p.rows : undefined)], ["Media type", art.media_type],
      ["First seen (UTC)", fmtTime(art.created_at)],
      ["Model versions", versions.length ? h("span", { id: "artifact-models" }, versions.flatMap((v, i) => [i ? ", " : "",
        h("a", { href: versionHref(v) }, versionText(v))])) : ""],
      ["Lineage", h("a", { href: `#/lineage/${encodeURIComponent(art.digest)}?direction=both`, id: "artifact-lineage" }, "graph")],
      ["Impact", h("a", { href: `#/lineage/${encodeURIComponent(art.digest)}?direction=downstream&impact=1`, id: "artifact-impact" }, "what it fed")]]),
    h("h2", {}, "Written by"), runsTable("producers", producers),
    h("h2", {}, "Read by"), runsTable("consumers", consumers),
    h("h2", {}, "Locations"), locations.length ? h("div", { class: "scroll-x" }, h("table", { id: "locations" },
      h("thead", {}, h("tr", {}, ["URI", "Direction", "Run", "Seen (UTC)"].map((c) => h("th", {}, c)))),
      h("tbody", {}, locations.map((l) => h("tr", {}, h("td", { class: "mono" }, l.uri), h("td", {}, l.direction),
        h("td", {}, l.run_id ? h("a", { href: `#/runs/${encodeURIComponent(l.run_id)}`, class: "mono" }, short(l.run_id)) : ""), h("td", {}, fmtTime(l.seen_at))))))) : h("p", { class: "muted" }, "none recorded"),
    reports.length ? [h("h2", {}, "Drift reports"), h("ul", {}, reports.map((r) => h("li", {}, h("a", { href: `#/monitoring/drift/${encodeURIComponent(r.id)}` },
      `${fmtTime(r.created_at)} ${r.reference.label || r.reference.ref} → ${r.current.label || r.current.ref}`), " ", h("span", { class: `badge ${r.drifted ? "fail" : "pass"}` }, r.drifted ? "drift" : "no drift"))))] : null,
    h("h2", {}, "Profile"),
    columns.length ? h("div", {}, h("p", { class: "muted", id: "profile-summary" }, `${p.rows} rows · ${columns.length} columns · ${p.mode || ""} profile`),
      h("div", { class: "columns", id: "profile-columns" }, await Promise.all(columns.map(([name, col]) => columnView(name, col, p.rows)))))
      : h("p", { class: "muted", id: "profile-summary" }, "No profile stored (only tabular artifacts are profiled).")].flat().filter(Boolean));
}
