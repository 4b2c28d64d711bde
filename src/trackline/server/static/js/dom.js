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

export function fmtValue(v) {
  if (v === undefined) return "—";
  if (v === null) return "null";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
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

// A table whose columns sort on click. cols: [{key, label, value(row), render(row)}]
export function sortableTable(cols, rows, { id, sort } = {}) {
  let state = sort || null;
  const table = h("table", { id });
  const thead = h("thead");
  const tbody = h("tbody");
  table.append(thead, tbody);
  function draw() {
    const sorted = [...rows];
    if (state) {
      const col = cols.find((c) => c.key === state.key);
      const val = col.value || ((r) => r[col.key]);
      sorted.sort((a, b) => {
        const x = val(a), y = val(b);
        const r = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
        return state.dir === "asc" ? r : -r;
      });
    }
    thead.replaceChildren(h("tr", {}, cols.map((c) => {
      const cls = c.sortable === false ? "" : "sortable" + (state && state.key === c.key ? ` sorted-${state.dir}` : "");
      return h("th", {
        class: cls, "data-key": c.key,
        onclick: c.sortable === false ? null : () => {
          state = { key: c.key, dir: state && state.key === c.key && state.dir === "asc" ? "desc" : "asc" };
          draw();
        },
      }, c.label);
    })));
    tbody.replaceChildren(...sorted.map((r) => h("tr", {}, cols.map((c) => h("td", {}, c.render ? c.render(r) : (r[c.key] ?? "") === "" ? "" : fmtValue(r[c.key]))))));
  }
  draw();
  return table;
}

export function errorBox(err) {
  let hint = "";
  if (err.status === 401) hint = " Paste an API token in the box at the top right.";
  if (err.status === 403) hint = " Ask an admin for a token with a role that allows this.";
  return h("div", { class: "error", role: "alert" }, `${err.message || err}.${hint}`.replace("..", "."));
}
