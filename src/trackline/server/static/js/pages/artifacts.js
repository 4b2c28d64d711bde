// Artifacts: content-addressed data and models; each links to its lineage.
import { api } from "../api.js";
import { fmtBytes, fmtTime, h, short, sortableTable } from "../dom.js";
import { go } from "../nav.js";

const KINDS = ["", "file", "directory", "dataset", "model", "value", "blob", "object", "opaque", "table", "uri", "metrics", "report"];

export async function renderArtifacts(view, params) {
  const kind = params.get("kind") || "";
  const arts = await api("/artifacts", { kind, limit: 1000 });
  const sel = h("select", { id: "f-kind", onchange: () => go("/artifacts", { kind: sel.value }) },
    KINDS.map((k) => h("option", { value: k, selected: k === kind }, k || "any kind")));
  view.replaceChildren(h("h1", {}, "Artifacts"), h("div", { class: "filters" }, h("label", {}, "Kind", sel)),
    sortableTable([
      { key: "name", label: "Name", render: (a) => h("a", { href: `#/lineage/${encodeURIComponent(a.digest)}?direction=both` }, a.name || short(a.digest)) },
      { key: "details", label: "Details", sortable: false, render: (a) => h("a", { href: `#/artifacts/${encodeURIComponent(a.digest)}`, class: "artifact-link" }, a.rows !== null && a.rows !== undefined ? "profile" : "details") },
      { key: "kind", label: "Kind" },
      { key: "rows", label: "Rows" },
      { key: "size_bytes", label: "Size", render: (a) => fmtBytes(a.size_bytes) },
      { key: "created_at", label: "First seen (UTC)", render: (a) => fmtTime(a.created_at) },
      { key: "digest", label: "Digest", render: (a) => h("span", { class: "mono" }, short(a.digest)) },
      { key: "uri", label: "URI", render: (a) => h("span", { class: "mono" }, a.uri || "") },
    ], arts, { id: "artifacts-table", sort: { key: "created_at", dir: "desc" } }));
}
