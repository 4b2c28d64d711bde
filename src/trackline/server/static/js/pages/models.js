// Model registry: models → versions (aliases, tags), and one version in full: evaluations,
// gate decisions with per-rule results, and a link to its lineage (that of its artifact digest).
import { api } from "../api.js";
import { fmtTime, fmtValue, h, kv, short, sortableTable } from "../dom.js";

const verHref = (name, v) => `#/models/${encodeURIComponent(name)}/${v}`;
const lineageHref = (digest) => `#/lineage/${encodeURIComponent(digest)}?direction=upstream`;
const verdict = (v) => h("span", { class: `badge ${v === "pass" ? "success" : "failed"}` }, v);

export async function renderModels(view) {
  const models = await api("/models");
  view.replaceChildren(h("h1", {}, "Models"),
    models.length ? sortableTable([
      { key: "name", label: "Model", render: (m) => h("a", { href: `#/models/${encodeURIComponent(m.name)}`, class: "model-link" }, m.name) },
      { key: "versions", label: "Versions" },
      { key: "latest_version", label: "Latest", render: (m) => h("a", { href: verHref(m.name, m.latest_version) }, `v${m.latest_version}`) },
      { key: "aliases", label: "Aliases", sortable: false, render: (m) => Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`).join(", ") },
      { key: "updated_at", label: "Updated (UTC)", render: (m) => fmtTime(m.updated_at) },
    ], models, { id: "models-table", sort: { key: "name", dir: "asc" } })
      : h("p", { class: "muted" }, "No models registered yet (trackline.register_model or `trackline models register`)."));
}

export async function renderModel(view, name) {
  const [versions, aliases] = await Promise.all([
    api(`/models/${encodeURIComponent(name)}/versions`), api(`/models/${encodeURIComponent(name)}/aliases`)]);
  view.replaceChildren(h("h1", {}, "Model ", h("span", { id: "model-name" }, name)),
    h("p", { id: "model-aliases" }, "Aliases: ", Object.entries(aliases).map(([a, v]) => `${a} → v${v}`).join(", ") || "none"),
    sortableTable([
      { key: "version", label: "Version", render: (v) => h("a", { href: verHref(name, v.version), class: "version-link" }, `v${v.version}`) },
      { key: "aliases", label: "Aliases", sortable: false, render: (v) => v.aliases.join(", ") },
      { key: "digest", label: "Digest", render: (v) => h("a", { href: lineageHref(v.digest), class: "mono" }, short(v.digest)) },
      { key: "run_id", label: "Run", render: (v) => v.run_id ? h("a", { href: `#/runs/${encodeURIComponent(v.run_id)}`, class: "mono" }, short(v.run_id)) : "" },
      { key: "tags", label: "Tags", sortable: false, render: (v) => Object.entries(v.tags).map(([k, x]) => `${k}=${x}`).join(", ") },
      { key: "created_at", label: "Registered (UTC)", render: (v) => fmtTime(v.created_at) },
      { key: "actor", label: "By" },
    ], versions, { id: "versions-table", sort: { key: "version", dir: "desc" } }));
}

function decisionCard(d) {
  return h("div", { class: "card decision", "data-id": d.id },
    h("h3", {}, verdict(d.verdict), ` ${d.policy_name} `, h("span", { class: "muted" }, `${fmtTime(d.created_at)} by ${d.actor} · ${short(d.id)}`)),
    h("table", { class: "rules" }, h("thead", {}, h("tr", {}, ["#", "Rule", "Result", "Observed", "Why", "Evidence"].map((c) => h("th", {}, c)))),
      h("tbody", {}, d.results.map((r) => h("tr", { class: r.passed ? "" : "diff" },
        h("td", {}, r.index + 1), h("td", { class: "mono" }, r.rule), h("td", {}, verdict(r.passed ? "pass" : "fail")),
        h("td", { class: "mono" }, Object.entries(r.observed).map(([k, v]) => `${k}=${fmtValue(v)}`).join(", ")),
        h("td", {}, r.message), h("td", { class: "mono" }, r.evidence.map(short).join(", ")))))));
}

export async function renderVersion(view, name, version) {
  const mv = await api(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`);
  const [evals, decisions] = await Promise.all([
    api("/evaluations", { model_digest: mv.digest, limit: 200 }),
    api("/gate-decisions", { model_digest: mv.digest, limit: 50 })]);
  view.replaceChildren(
    h("h1", {}, h("a", { href: `#/models/${encodeURIComponent(name)}` }, name), " ", h("span", { id: "version-ref" }, `v${mv.version}`)),
    kv([["Aliases", h("span", { id: "version-aliases" }, mv.aliases.join(", ") || "none")],
      ["Digest", h("span", { class: "mono" }, mv.digest)], ["URI", mv.uri], ["Kind", mv.kind],
      ["Run", mv.run_id ? h("a", { href: `#/runs/${encodeURIComponent(mv.run_id)}`, id: "version-run" }, mv.run_id) : "not recorded"],
      ["Registered", `${fmtTime(mv.created_at)} by ${mv.actor || "?"}`], ["Description", mv.description],
      ["Tags", Object.entries(mv.tags).map(([k, v]) => `${k}=${v}`).join(", ")],
      ["Lineage", h("a", { href: lineageHref(mv.digest), id: "version-lineage" }, "training data, code and params that made it")]]),
    h("h2", {}, "Evaluations"),
    evals.length ? sortableTable([
      { key: "dataset_name", label: "Dataset", render: (e) => h("a", { href: lineageHref(e.dataset_digest) }, e.dataset_name || short(e.dataset_digest)) },
      { key: "metrics", label: "Metrics", sortable: false, render: (e) => h("span", { class: "mono" }, Object.entries(e.metrics).map(([k, v]) => `${k}=${v}`).join(", ")) },
      { key: "slices", label: "Slices", sortable: false, render: (e) => Object.keys(e.slices).join(", ") },
      { key: "created_at", label: "When (UTC)", render: (e) => fmtTime(e.created_at) },
      { key: "actor", label: "By" },
      { key: "id", label: "Id", render: (e) => h("span", { class: "mono" }, short(e.id)) },
    ], evals, { id: "evaluations-table", sort: { key: "created_at", dir: "desc" } }) : h("p", { class: "muted" }, "none"),
    h("h2", {}, "Gate decisions"),
    h("div", { id: "decisions" }, decisions.length ? decisions.map(decisionCard) : h("p", { class: "muted" }, "none")));
}
