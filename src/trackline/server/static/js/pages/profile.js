// Draw stored column profiles (see trackline/profiles): numeric columns carry a quantile sketch
// (knots with rank bounds, zlib + base64), categorical ones their top values. Nothing here reads
// the data itself, so a page can show a 10-TB table's histograms from a few KB of profile.
import { h } from "../dom.js";

async function unpack(text, Type) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Type(await new Response(stream).arrayBuffer());
}

// Knots v with the midpoint of their rank bounds: the same CDF estimate drift scores use.
export async function decodeSketch(s) {
  if (!s || !s.n || !s.knots) return null;
  const [v, dlo, dhi] = await Promise.all([unpack(s.v, Float64Array), unpack(s.lo, BigInt64Array), unpack(s.hi, BigInt64Array)]);
  const at = new Float64Array(v.length);
  let lo = 0n, hi = 0n;
  for (let i = 0; i < v.length; i++) {
    lo += dlo[i]; hi += dhi[i];
    at[i] = Number(lo);  // values <= v[i] (a lower bound; exact for small columns)
  }
  return { n: s.n, v, at };
}

function cdf(sk, x) {
  const { v, at } = sk;
  if (x < v[0]) return 0;
  if (x >= v[v.length - 1]) return sk.n;
  let a = 0, b = v.length - 1;
  while (b - a > 1) { const m = (a + b) >> 1; if (v[m] <= x) a = m; else b = m; }
  return at[a] + (at[b] - at[a]) * ((x - v[a]) / (v[b] - v[a]));
}

// Counts in `edges` bins; bins are additive, so several artifacts' sketches can be summed.
// The first and last bins are open-ended, so a range cut at quantiles still counts every value.
export function binCounts(sk, edges) {
  const out = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const left = i === 0 ? 0 : cdf(sk, edges[i]);
    const right = i + 2 === edges.length ? sk.n : cdf(sk, edges[i + 1]);
    out.push(Math.max(0, right - left));
  }
  return out;
}

export function quantile(sk, p) {
  const want = p * sk.n, { v, at } = sk;
  let i = 0;
  while (i < at.length - 1 && at[i] < want) i++;
  if (i === 0) return v[0];
  const span = at[i] - at[i - 1];
  return span > 0 ? v[i - 1] + ((v[i] - v[i - 1]) * (want - at[i - 1])) / span : v[i];
}

// A heavy tail would squeeze the body into one bin: bins span the 1st to 99th percentile.
export function range(sk, min, max) {
  const lo = quantile(sk, 0.01), hi = quantile(sk, 0.99);
  return hi > lo ? [Math.max(min, lo), Math.min(max, hi)] : [min, max];
}

export function edgesFor(min, max, bins = 20) {
  if (min === max) { min -= 0.5; max += 0.5; }
  return Array.from({ length: bins + 1 }, (_, i) => min + ((max - min) * i) / bins);
}

const fmtNum = (x) => (Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : +x.toPrecision(4));

// series: [{label, counts, cls}] over the same bins; bars are shares so sides of different
// size compare.
export function bars(labels, series, { title } = {}) {
  const shares = series.map((s) => { const t = s.counts.reduce((a, b) => a + b, 0) || 1; return s.counts.map((c) => c / t); });
  const top = Math.max(1e-9, ...shares.flat());
  return h("div", { class: "hist", role: "img", "aria-label": title || "histogram" },
    h("div", { class: "hist-bars" }, labels.map((lab, i) => h("div", { class: "hist-bin", title: `${lab}: ${series.map((s, k) => `${s.label} ${(shares[k][i] * 100).toFixed(1)}%`).join(", ")}` },
      series.map((s, k) => h("span", { class: `hist-bar ${s.cls || ""}`, style: `height:${((shares[k][i] / top) * 100).toFixed(1)}%` }))))),
    series.length > 1 ? h("div", { class: "hist-legend" }, series.map((s) => h("span", {}, h("i", { class: `hist-key ${s.cls || ""}` }), s.label))) : null);
}

export const nullShare = (col, rows) => (rows ? (col.nulls || 0) / rows : 0);

// One column of one profile: what it is, how many nulls, and its distribution.
export async function columnView(name, col, rows) {
  const facts = [`${col.kind}${col.dtype ? ` (${col.dtype})` : ""}`, `${((nullShare(col, rows)) * 100).toFixed(1)}% null`];
  let body = h("p", { class: "muted" }, "no distribution recorded");
  if (col.kind === "numeric" && col.min !== null && col.min !== undefined) {
    facts.push(`min ${fmtNum(col.min)}`, `mean ${fmtNum(col.mean)}`, `max ${fmtNum(col.max)}`);
    const sk = await decodeSketch(col.sketch);
    if (sk) {
      const edges = edgesFor(...range(sk, col.min, col.max));
      body = h("div", {}, bars(edges.slice(0, -1).map((e, i) => `${fmtNum(e)} – ${fmtNum(edges[i + 1])}`), [{ label: name, counts: binCounts(sk, edges) }], { title: `${name} histogram` }),
        h("div", { class: "hist-axis muted" }, h("span", {}, `≤ ${fmtNum(edges[1])}`), h("span", {}, `> ${fmtNum(edges[edges.length - 2])}`)));
    }
  } else if (col.kind === "categorical" && col.top) {
    facts.push(`${col.distinct ?? "?"} distinct`);
    body = topValues(col.top.slice(0, 8), col.count || 1);
  }
  return h("div", { class: "card column", "data-column": name }, h("h3", {}, name), h("p", { class: "muted col-facts" }, facts.join(" · ")), body);
}

export function topValues(top, total) {
  return h("table", { class: "top-values" }, h("tbody", {}, top.map(([k, c]) => h("tr", {},
    h("td", { class: "mono clip" }, k), h("td", { class: "bar-cell" }, h("span", { class: "hbar", style: `width:${((c / total) * 100).toFixed(1)}%` })),
    h("td", { class: "num" }, `${((c / total) * 100).toFixed(1)}%`)))));
}
