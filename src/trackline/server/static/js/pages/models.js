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

// Observed vs threshold for one rule: the policy keeps min/max, the result what was seen (and,
// for comparisons, the incumbent's value and the threshold derived from it).
function ruleFacts(d, r) {
  const spec = (d.policy.rules || [])[r.index] || {};
  const o = r.observed || {};
  const out = [];
  if (o.value !== undefined) out.push(h("b", {}, `observed ${fmtNum(o.value)}`));
  if (o.slices) out.push(h("span", {}, Object.entries(o.slices).map(([k, v]) => `${k}=${fmtNum(v)}`).join(", ")));
  if (spec.min !== undefined && spec.min !== null) out.push(`min ${spec.min}`);
  if (spec.max !== undefined && spec.max !== null) out.push(`max ${spec.max}`);
  if (o.threshold !== undefined) out.push(`threshold ${fmtNum(o.threshold)}`);
  if (o.incumbent && o.incumbent.value !== undefined && o.value !== undefined) {
    const delta = o.value - o.incumbent.value;
    out.push(h("span", { class: "delta" }, `Δ ${delta >= 0 ? "+" : ""}${fmtNum(delta)} vs `,
      h("a", { href: verHref(d.model_name, o.incumbent.version) }, `v${o.incumbent.version}`)));
  } else if (o.incumbent === null) out.push("no incumbent (first promotion)");
  if (o.oldest_age_s !== undefined) out.push(`age ${Math.round(o.oldest_age_s)}s ≤ ${o.max_age_s}s`);
  if (o.run_id) out.push(h("a", { href: `#/runs/${encodeURIComponent(o.run_id)}` }, `run ${short(o.run_id)}`));
  if (o.dataset_digest) out.push(h("a", { href: artHref(o.dataset_digest), class: "dataset-link" }, `dataset ${o.dataset || short(o.dataset_digest)}`));
  return out.flatMap((x, i) => (i ? [" · ", x] : [x]));
}

const fmtNum = (v) => (typeof v === "number" ? +v.toPrecision(6) : fmtValue(v));
const artHref = (digest) => `#/artifacts/${encodeURIComponent(digest)}`;

function decisionCard(d, evalIds) {
  return h("div", { class: "card decision", "data-id": d.id, id: `decision-${d.id}` },
    h("h3", {}, verdict(d.verdict), ` ${d.policy_name} `, h("span", { class: "muted" }, `${fmtTime(d.created_at)} by ${d.actor} · ${short(d.id)}`)),
    h("div", { class: "scroll-x" }, h("table", { class: "rules" }, h("thead", {}, h("tr", {}, ["#", "Rule", "Result", "Observed vs threshold", "Why", "Evidence"].map((c) => h("th", {}, c)))),
      h("tbody", {}, d.results.map((r) => h("tr", { class: r.passed ? "" : "diff" },
        h("td", {}, r.index + 1), h("td", { class: "mono" }, r.rule), h("td", {}, verdict(r.passed ? "pass" : "fail")),
        h("td", { class: "observed" }, ruleFacts(d, r)),
        h("td", {}, r.message), h("td", { class: "mono" }, r.evidence.flatMap((id, i) => [i ? ", " : "",
          evalIds.has(id) ? jump(`evaluation-${id}`, short(id), { class: "evidence-link" })
            : r.kind === "lineage" ? h("a", { href: `#/runs/${encodeURIComponent(id)}` }, short(id)) : h("span", { title: "an evaluation of another version" }, short(id))]))))))));
}

// In-page jumps: the hash is the router's, so these scroll instead of changing it.
function jump(targetId, text, attrs = {}) {
  return h("a", { ...attrs, href: location.hash, onclick: (ev) => {
    ev.preventDefault();
    const el = document.getElementById(targetId);
    if (el) el.scrollIntoView({ block: "center" });
  } }, text);
}

const ACTION = { "alias.moved": "moved", "promotion.refused": "refused", "promotion.conflict": "conflict" };

// Every alias move of the model, newest first; this version's are marked, each links its decision.
function timeline(name, version, events) {
  if (!events.length) return h("p", { class: "muted" }, "No alias of this model has been moved yet.");
  return h("ol", { class: "events", id: "alias-timeline" }, [...events].reverse().map((e) => {
    const what = ACTION[e.action] || e.action;
    const mine = e.version === version;
    const label = `${e.verdict || "?"} decision ${short(e.decision_id)}${e.policy_name ? ` (${e.policy_name})` : ""}`;
    const dec = !e.decision_id ? "no decision" : mine ? jump(`decision-${e.decision_id}`, label, { class: "decision-link" })
      : h("a", { href: verHref(name, e.version), class: "decision-link" }, label);
    return h("li", { class: `${what}${mine ? " mine" : ""}`, "data-seq": e.seq },
      h("b", {}, `${e.alias}: `), what === "moved" ? `${e.previous ? `v${e.previous}` : "∅"} → ` : `${what} `,
      h("a", { href: verHref(name, e.version) }, `v${e.version}`), " ",
      h("span", { class: "muted" }, `${fmtTime(e.at)} by ${e.actor}`), " · ", dec,
      e.reason ? h("div", { class: "muted" }, e.reason) : null);
  }));
}

function whyProduction(mv, events, decisions) {
  if (!mv.aliases.length) return h("p", { class: "muted", id: "why" }, "This version holds no alias.");
  return h("div", { id: "why" }, mv.aliases.map((alias) => {
    const move = [...events].reverse().find((e) => e.alias === alias && e.action === "alias.moved" && e.version === mv.version);
    const d = move && decisions.find((x) => x.id === move.decision_id);
    return h("p", { class: "why-alias" }, h("b", {}, alias), move
      ? [` since ${fmtTime(move.at)}, moved by ${move.actor} on `,
        d ? jump(`decision-${d.id}`, `the passing decision of gate ${d.policy_name}`, { class: "why-decision" }) : `decision ${short(move.decision_id)}`,
        d ? ` (${d.results.filter((r) => r.passed).length}/${d.results.length} rules passed)` : ""]
      : " (no recorded move found)");
  }));
}

function chainBadge() {
  const slot = h("span", { id: "chain-badge", class: "badge" }, "checking audit chain…");
  api("/audit/verify").then((r) => {
    slot.className = `badge ${r.ok ? "pass" : "fail"}`;
    slot.textContent = r.ok ? `chain verified (${r.entries} entries)` : "audit chain BROKEN";
  }).catch((err) => { slot.textContent = err.status === 401 || err.status === 403 ? "chain: needs a token" : "chain: unknown"; });
  return slot;
}

function slicesTable(evals) {
  const rows = evals.flatMap((e) => Object.entries(e.slices).map(([s, m]) => ({ e, s, m })));
  if (!rows.length) return h("p", { class: "muted" }, "No slices recorded.");
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.m)))];
  return h("div", { class: "scroll-x" }, h("table", { id: "slices-table" }, h("thead", {}, h("tr", {}, ["Dataset", "Slice", ...keys].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map(({ e, s, m }) => h("tr", {}, h("td", {}, e.dataset_name || short(e.dataset_digest)), h("td", {}, s),
      keys.map((k) => h("td", { class: "num" }, m[k] === undefined ? "" : fmtNum(m[k]))))))));
}

export async function renderVersion(view, name, version) {
  const mv = await api(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`);
  const [evals, decisions, history] = await Promise.all([
    api("/evaluations", { model_digest: mv.digest, limit: 200 }),
    api("/gate-decisions", { model_digest: mv.digest, limit: 50 }),
    api(`/models/${encodeURIComponent(name)}/history`)]);
  const evalIds = new Set(evals.map((e) => e.id));
  view.replaceChildren(
    h("h1", {}, h("a", { href: `#/models/${encodeURIComponent(name)}` }, name), " ", h("span", { id: "version-ref" }, `v${mv.version}`), " ", chainBadge()),
    kv([["Aliases", h("span", { id: "version-aliases" }, mv.aliases.join(", ") || "none")],
      ["Digest", h("a", { class: "mono", href: artHref(mv.digest) }, short(mv.digest))], ["URI", mv.uri], ["Kind", mv.kind],
      ["Run", mv.run_id ? h("a", { href: `#/runs/${encodeURIComponent(mv.run_id)}`, id: "version-run" }, mv.run_id) : "not recorded"],
      ["Registered", `${fmtTime(mv.created_at)} by ${mv.actor || "?"}`], ["Description", mv.description],
      ["Tags", Object.entries(mv.tags).map(([k, v]) => `${k}=${v}`).join(", ")],
      ["Lineage", h("a", { href: lineageHref(mv.digest), id: "version-lineage" }, "training data, code and params that made it")]]),
    h("h2", {}, "Why it holds its aliases"), whyProduction(mv, history.events, decisions),
    h("h2", {}, "Alias history"), timeline(name, mv.version, history.events),
    h("h2", {}, "Gate decisions"),
    h("div", { id: "decisions" }, decisions.length ? decisions.map((d) => decisionCard(d, evalIds)) : h("p", { class: "muted" }, "none")),
    h("h2", {}, "Evaluations"),
    evals.length ? sortableTable([
      { key: "dataset_name", label: "Dataset", render: (e) => h("a", { href: artHref(e.dataset_digest), id: `evaluation-${e.id}` }, e.dataset_name || short(e.dataset_digest)) },
      { key: "metrics", label: "Metrics", sortable: false, render: (e) => h("span", { class: "mono" }, Object.entries(e.metrics).map(([k, v]) => `${k}=${fmtNum(v)}`).join(", ")) },
      { key: "slices", label: "Slices", sortable: false, render: (e) => Object.keys(e.slices).join(", ") },
      { key: "created_at", label: "When (UTC)", render: (e) => fmtTime(e.created_at) },
      { key: "actor", label: "By" },
      { key: "run_id", label: "Run", render: (e) => (e.run_id ? h("a", { href: `#/runs/${encodeURIComponent(e.run_id)}` }, short(e.run_id)) : "") },
    ], evals, { id: "evaluations-table", sort: { key: "created_at", dir: "desc" } }) : h("p", { class: "muted" }, "none"),
    h("h2", {}, "Evaluation slices"), slicesTable(evals));
}
