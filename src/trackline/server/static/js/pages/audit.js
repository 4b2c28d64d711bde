// Audit log: denied requests and privileged actions, newest first (needs a token).
import { api } from "../api.js";
import { fmtTime, h, sortableTable } from "../dom.js";
import { go } from "../nav.js";

export async function renderAudit(view, params) {
  const outcome = params.get("outcome") || "";
  const actor = params.get("actor") || "";
  const events = await api("/audit", { outcome, actor, limit: 500 });
  const outSel = h("select", { id: "f-outcome" }, ["", "allowed", "denied"].map((o) => h("option", { value: o, selected: o === outcome }, o || "any outcome")));
  const actorIn = h("input", { id: "f-actor", value: actor, placeholder: "token name" });
  view.replaceChildren(h("h1", {}, "Audit log"),
    h("form", { class: "filters", onsubmit: (ev) => { ev.preventDefault(); go("/audit", { outcome: outSel.value, actor: actorIn.value }); } },
      h("label", {}, "Outcome", outSel), h("label", {}, "Actor", actorIn), h("button", { type: "submit" }, "Filter")),
    sortableTable([
      { key: "at", label: "When (UTC)", render: (e) => fmtTime(e.at) },
      { key: "actor", label: "Actor" },
      { key: "action", label: "Action", render: (e) => h("span", { class: "mono" }, e.action) },
      { key: "target", label: "Target" },
      { key: "outcome", label: "Outcome", render: (e) => h("span", { class: `badge ${e.outcome === "denied" ? "failed" : "success"}` }, e.outcome) },
      { key: "detail", label: "Detail", sortable: false, render: (e) => h("span", { class: "mono" }, e.detail ? JSON.stringify(e.detail) : "") },
    ], events, { id: "audit-table", sort: { key: "at", dir: "desc" } }));
}
