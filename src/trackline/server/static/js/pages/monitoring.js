// Monitoring: drift reports (per-column score vs threshold with its ± bound, reference vs current
// histograms from the stored profiles), a column's score over successive reports, and trigger
// firings with what they started.
import { api, apiOr } from "../api.js";
import { lineChart } from "../charts.js";
import { badge, fmtTime, fmtValue, h, kv, short } from "../dom.js";
import { bars, binCounts, decodeSketch, edgesFor, range } from "./profile.js";

const reportHref = (id) => `#/monitoring/drift/${encodeURIComponent(id)}`;
const side = (d) => d.label || d.ref;
const num = (x) => (x === null || x === undefined ? "—" : +Number(x).toPrecision(4));
const verdict = (drifted) => h("span", { class: `badge ${drifted ? "fail" : "pass"}` }, drifted ? "drift" : "no drift");

function gauge(c) {
  const top = Math.max(c.threshold * 2, (c.score ?? 0) + (c.bound ?? 0), 1e-9);
  const pct = (x) => `${Math.min(100, Math.max(0, (x / top) * 100)).toFixed(1)}%`;
  const s = c.score ?? 0, b = c.bound ?? 0;
  return h("span", { class: "gauge", title: `score ${num(c.score)} ± ${num(c.bound)}, threshold ${num(c.threshold)}` },
    h("span", { class: `val${c.drifted ? " bad" : ""}`, style: `width:${pct(s)}` }),
    b ? h("span", { class: "bound", style: `left:${pct(s - b)};width:calc(${pct(s + b)} - ${pct(s - b)})` }) : null,
    h("span", { class: "thr", style: `left:${pct(c.threshold)}` }));
}

function reportsTable(reports) {
  if (!reports.length) return h("p", { class: "muted" }, "No drift reports yet (trackline drift check, or check_drift in a pipeline).");
  return h("div", { class: "scroll-x" }, h("table", { id: "drift-reports" }, h("thead", {}, h("tr", {}, ["When (UTC)", "Reference", "Current", "Verdict", "Drifted columns", "Report"].map((c) => h("th", {}, c)))),
    h("tbody", {}, reports.map((r) => h("tr", {}, h("td", {}, fmtTime(r.created_at)), h("td", { class: "clip" }, side(r.reference)), h("td", { class: "clip" }, side(r.current)),
      h("td", {}, verdict(r.drifted)), h("td", {}, `${r.columns.filter((c) => c.drifted).length}/${r.columns.length} (share ${num(r.share)} vs ${num(r.share_threshold)})`),
      h("td", {}, h("a", { href: reportHref(r.id), class: "report-link mono" }, short(r.id))))))));
}

// What a firing started: the orchestrator's run (its ids, its URL) and, when the answer names a
// trackline pipeline run or task run (a webhook answering {"pipeline_run_id": …}), a link to it.
function startedCell(f) {
  const s = f.started || {};
  const answer = s.response && typeof s.response === "object" ? s.response : {};
  const pick = (k) => s[k] ?? answer[k];
  const ids = Object.entries(s).filter(([k]) => /run_id|deployment|dag_id|event/.test(k)).map(([k, v]) => `${k}=${fmtValue(v)}`);
  const url = s.url || s.ui_url || s.web_url;
  return h("span", { class: "started" },
    s.system ? `${s.system} ` : "", ids.join(", "),
    pick("pipeline_run_id") ? h("a", { href: `#/pipelines/${encodeURIComponent(pick("pipeline_run_id"))}`, class: "started-run" }, ` pipeline run ${short(pick("pipeline_run_id"))}`) : null,
    pick("run_id") && !s.dag_id ? h("a", { href: `#/runs/${encodeURIComponent(pick("run_id"))}`, class: "started-run" }, ` run ${short(pick("run_id"))}`) : null,
    url ? [" ", h("a", { href: url, target: "_blank", rel: "noopener" }, "open")] : null,
    f.error ? h("div", { class: "muted" }, f.error) : null);
}

const FIRING = { fired: "success", failed: "failed", dry_run: "skipped", claimed: "running" };

function evidenceCell(e) {
  return h("span", {},
    e.drift_report ? h("a", { href: reportHref(e.drift_report), class: "mono" }, `report ${short(e.drift_report)} `) : null,
    e.check_run ? h("a", { href: `#/runs/${encodeURIComponent(e.check_run)}`, class: "mono" }, `check ${short(e.check_run)}`) : null,
    !e.drift_report && !e.check_run ? h("span", { class: "muted" }, e.kind || "") : null);
}

function firingsTable(firings) {
  if (!firings.length) return h("p", { class: "muted", id: "firings" }, "No trigger has fired (trackline monitor run POLICY).");
  const policies = [...new Set(firings.map((f) => f.policy))];
  return h("div", { id: "firings" }, policies.map((p) => h("div", {}, h("h3", {}, `Policy ${p}`), h("div", { class: "scroll-x" }, h("table", {},
    h("thead", {}, h("tr", {}, ["When (UTC)", "Rule", "Status", "Started", "Evidence"].map((c) => h("th", {}, c)))),
    h("tbody", {}, firings.filter((f) => f.policy === p).map((f) => h("tr", {}, h("td", {}, fmtTime(f.created_at)), h("td", {}, f.rule),
      h("td", {}, h("span", { class: `badge ${FIRING[f.status] || ""}` }, f.status)), h("td", {}, startedCell(f)),
      h("td", {}, evidenceCell(f.evidence))))))))));
}

export async function renderMonitoring(view) {
  const [reports, firings] = await Promise.all([api("/drift-reports", { limit: 200 }), api("/trigger-firings", { limit: 200 })]);
  view.replaceChildren(h("h1", {}, "Monitoring"),
    h("h2", {}, "Drift reports"), reportsTable(reports),
    h("h2", {}, "Trigger firings"), firingsTable(firings));
}

// A column's score across the reports that share this report's reference, oldest first.
function trend(column, report, reports) {
  const same = reports.filter((r) => r.reference.ref === report.reference.ref).reverse();
  const points = same.map((r, i) => ({ r, i, c: r.columns.find((c) => c.column === column) })).filter((x) => x.c && x.c.score !== null);
  const box = h("div", { class: "chart-box" }, h("canvas", { id: "trend-chart" }));
  const labels = h("p", { class: "muted" }, `${column}: ${points.length} report(s) against ${side(report.reference)}; x = report number (oldest 0)`);
  const draw = () => lineChart(box.querySelector("canvas"), [
    { label: `${column} score`, points: points.map((p) => ({ x: p.i, y: p.c.score })) },
    { label: "threshold", points: points.map((p) => ({ x: p.i, y: p.c.threshold })) }], { xLabel: "report", yLabel: "score" });
  return { el: h("div", { id: "trend" }, labels, box), draw };  // drawn once in the page
}

async function sideProfiles(ref) {
  return Promise.all(ref.digests.slice(0, 50).map((d) => apiOr(`/artifacts/${encodeURIComponent(d)}`, {}, null).then((a) => (a ? a.profile : null))));
}

// Reference vs current of one column, on shared bins, summed over each side's artifacts.
async function compareColumn(name, refProfiles, curProfiles) {
  const cols = (ps) => ps.filter((p) => p && p.columns && p.columns[name]).map((p) => ({ c: p.columns[name], rows: p.rows }));
  const r = cols(refProfiles), c = cols(curProfiles);
  if (!r.length || !c.length) return h("p", { class: "muted" }, "profile not available on both sides");
  const kind = r[0].c.kind;
  const nulls = (xs) => xs.reduce((a, x) => a + (x.c.nulls || 0), 0) / Math.max(1, xs.reduce((a, x) => a + x.rows, 0));
  const facts = h("p", { class: "muted" }, `null share ${(nulls(r) * 100).toFixed(1)}% → ${(nulls(c) * 100).toFixed(1)}%`);
  if (kind === "numeric") {
    const all = [...r, ...c].map((x) => x.c).filter((x) => x.min !== null && x.min !== undefined);
    if (!all.length) return facts;
    const sketches = async (xs) => (await Promise.all(xs.map((x) => decodeSketch(x.c.sketch)))).filter(Boolean);
    const [rs, cs] = await Promise.all([sketches(r), sketches(c)]);
    const spans = [...rs, ...cs].map((sk) => range(sk, sk.v[0], sk.v[sk.v.length - 1]));
    const edges = spans.length ? edgesFor(Math.min(...spans.map((x) => x[0])), Math.max(...spans.map((x) => x[1])))
      : edgesFor(Math.min(...all.map((x) => x.min)), Math.max(...all.map((x) => x.max)));
    const sum = (sks) => {
      const total = edges.slice(1).map(() => 0);
      for (const sk of sks) binCounts(sk, edges).forEach((v, i) => { total[i] += v; });
      return total;
    };
    const labels = edges.slice(0, -1).map((e, i) => `${num(e)} – ${num(edges[i + 1])}`);
    return h("div", {}, facts, bars(labels, [{ label: "reference", counts: sum(rs), cls: "ref" }, { label: "current", counts: sum(cs), cls: "cur" }], { title: `${name} reference vs current` }),
      h("div", { class: "hist-axis muted" }, h("span", {}, `≤ ${num(edges[1])}`), h("span", {}, `> ${num(edges[edges.length - 2])}`)));
  }
  const counts = (xs) => { const m = new Map(); xs.forEach((x) => (x.c.top || []).forEach(([k, n]) => m.set(k, (m.get(k) || 0) + n))); return m; };
  const rm = counts(r), cm = counts(c);
  const keys = [...new Set([...rm.keys(), ...cm.keys()])].sort((a, b) => (rm.get(b) || 0) + (cm.get(b) || 0) - (rm.get(a) || 0) - (cm.get(a) || 0)).slice(0, 12);
  return h("div", {}, facts, bars(keys, [{ label: "reference", counts: keys.map((k) => rm.get(k) || 0), cls: "ref" }, { label: "current", counts: keys.map((k) => cm.get(k) || 0), cls: "cur" }], { title: `${name} top values` }),
    h("p", { class: "muted mono clip" }, keys.join(" · ")));
}

export async function renderDrift(view, id, params) {
  const [report, reports] = await Promise.all([api(`/drift-reports/${encodeURIComponent(id)}`), api("/drift-reports", { limit: 200 })]);
  const [refP, curP] = await Promise.all([sideProfiles(report.reference), sideProfiles(report.current)]);
  const chosen = params.get("column") || (report.columns.find((c) => c.drifted) || report.columns[0] || {}).column;
  const cards = await Promise.all(report.columns.map(async (c) => h("div", { class: "card column", "data-column": c.column },
    h("h3", {}, c.column, " ", verdict(c.drifted)),
    h("p", { class: "col-facts" }, `${c.method} `, h("b", {}, num(c.score)), ` ± ${num(c.bound)} vs threshold ${num(c.threshold)} `, gauge(c)),
    await compareColumn(c.column, refP, curP),
    h("a", { href: `${reportHref(report.id)}?column=${encodeURIComponent(c.column)}`, class: "trend-link" }, "trend of this column"))));
  const chart = chosen ? trend(chosen, report, reports) : null;
  view.replaceChildren(...[
    h("h1", {}, "Drift report ", h("span", { class: "mono", id: "drift-id" }, short(report.id)), " ", verdict(report.drifted)),
    kv([["When (UTC)", fmtTime(report.created_at)], ["Reference", `${side(report.reference)} (${report.reference.rows} rows, ${report.reference.digests.length} artifact(s))`],
      ["Current", `${side(report.current)} (${report.current.rows} rows, ${report.current.digests.length} artifact(s))`],
      ["Drifted share", `${num(report.share)} (threshold ${num(report.share_threshold)})`],
      ["New columns", report.new_columns.join(", ")],
      ["Made by", report.run_id ? h("a", { href: `#/runs/${encodeURIComponent(report.run_id)}` }, `run ${short(report.run_id)}`) : ""],
      ["Data", h("span", {}, report.current.digests.slice(0, 5).map((d) => h("a", { href: `#/artifacts/${encodeURIComponent(d)}`, class: "mono" }, `${short(d)} `)))],
      ["All reports", h("a", { href: "#/monitoring" }, "monitoring")]]),
    chart ? [h("h2", {}, `Trend of ${chosen}`), chart.el] : null,
    h("h2", {}, "Columns"), h("div", { class: "columns", id: "drift-columns" }, cards)].flat().filter(Boolean));
  if (chart) chart.draw();
}
