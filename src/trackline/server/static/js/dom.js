// Tiny DOM helpers. Everything recorded is inserted as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const short = (id) => (id ? String(id).slice(0, 12) : "");

export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), "trackline"].join(" · ");
}

// Scripts load once, on the first page that needs them (vendored UMD builds set globals).
const loaded = new Map();
export function loadScript(url) {
  if (!loaded.has(url)) {
    loaded.set(url, new Promise((resolve, reject) => {
      const s = h("script", { src: url });
      s.onload = resolve;
      s.onerror = () => { loaded.delete(url); reject(new Error(`could not load ${url}`)); };
      document.head.append(s);
    }));
  }
  return loaded.get(url);
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toISOString().replace("T", " ").slice(0, 19);
}

export function fmtDuration(s) {
  if (s === null || s === undefined) return "";
  if (s < 1) return (s * 1000).toFixed(1) + "ms";
  if (s < 120) return s.toFixed(2) + "s";
  return (s / 60).toFixed(1) + "m";
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// Four significant digits: enough to rank runs, short enough for a column.
export function fmtNum(n) {
  if (typeof n !== "number" || !Number.isFinite(n) || Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-4) return n.toExponential(3).replace(/\.?0+e/, "e");
  return String(parseFloat(n.toPrecision(4)));
}

export function fmtValue(v) {
  if (v === undefined) return "—";
  if (v === null) return "null";
  if (typeof v === "number") return fmtNum(v);
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

// A value for a table cell: rounded, the exact value in the title when rounding changed it.
export function val(v) {
  const text = fmtValue(v);
  const full = typeof v === "number" ? String(v) : text;
  return h("span", { class: typeof v === "number" ? "num" : null, title: full !== text ? full : null }, text);
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = h("textarea", { class: "offscreen", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

// A digest or id shortened for reading, with its full value in the title and a copy button.
export function digest(full, n = 12) {
  if (!full) return "";
  const button = h("button", { type: "button", class: "copy", title: "Copy", "aria-label": `Copy ${full}`,
    "data-copy": full, onclick: async () => {
      await copyText(full);
      button.textContent = "copied";
      setTimeout(() => { button.textContent = "copy"; }, 1200);
    } }, "copy");
  return h("span", { class: "digest" }, h("code", { title: full }, String(full).slice(0, n)), button);
}

export const badge = (status) => h("span", { class: `badge ${status}` }, status);

export function kv(pairs) {
  const dl = h("dl", { class: "kv" });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    dl.append(h("dt", {}, k), h("dd", {}, v));
  }
  return dl;
}

// Wide tables scroll inside their own box, never the page.
export const scroller = (table) => h("div", { class: "table-wrap" }, table);

// Column headers that sort: clickable, focusable, Enter/Space operate them, aria-sort tells.
export function sortHeader(label, { key, dir, onSort }) {
  const next = () => onSort(dir === "asc" ? "desc" : "asc");
  return h("th", {
    class: "sortable" + (dir ? ` sorted-${dir}` : ""), "data-key": key, tabindex: 0,
    "aria-sort": dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none",
    onclick: next,
    onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); next(); } },
  }, label);
}

// A model version's registry link text ("churn v3 (production)") and address.
export const versionText = (v) => `${v.name} v${v.version}${(v.aliases || []).length ? ` (${v.aliases.join(", ")})` : ""}`;
export const versionHref = (v) => `#/models/${encodeURIComponent(v.name)}/${v.version}`;

// A table whose columns sort on click, in the browser (the runs page sorts on the server with
// sortHeader). cols: [{key, label, value(row), render(row), sortable}]. Returns the scrolling box.
export function sortableTable(cols, rows, { id, sort } = {}) {
  let state = sort || null;
  const table = h("table", { id });
  const thead = h("thead");
  const tbody = h("tbody");
  table.append(thead, tbody);
  function draw(refocus) {
    const sorted = [...rows];
    if (state) {
      const col = cols.find((c) => c.key === state.key);
      const get = col.value || ((r) => r[col.key]);
      sorted.sort((a, b) => {
        const x = get(a), y = get(b);
        const r = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
        return state.dir === "asc" ? r : -r;
      });
    }
    thead.replaceChildren(h("tr", {}, cols.map((c) => c.sortable === false
      ? h("th", { "data-key": c.key }, c.label)
      : sortHeader(c.label, { key: c.key, dir: state && state.key === c.key ? state.dir : null, onSort: (dir) => {
        state = { key: c.key, dir };
        draw(c.key);
      } }))));
    tbody.replaceChildren(...sorted.map((r) => h("tr", {}, cols.map((c) => h("td", {}, c.render ? c.render(r) : (r[c.key] ?? "") === "" ? "" : val(r[c.key]))))));
    if (refocus) thead.querySelector(`th[data-key="${CSS.escape(refocus)}"]`).focus();
  }
  draw();
  return scroller(table);
}

export function errorBox(err, retry) {
  let hint = "";
  if (err.status === 401) hint = " Paste an API token in the box at the top right.";
  if (err.status === 403) hint = " Ask an admin for a token with a role that allows this.";
  return h("div", { class: "error", role: "alert" }, `${err.message || err}.${hint}`.replace("..", "."),
    retry ? h("button", { type: "button", class: "retry", onclick: retry }, "Retry") : null);
}
