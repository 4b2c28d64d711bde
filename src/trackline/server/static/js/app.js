// Hash router: one table of routes; each names its page title and the vendored libraries it
// needs, which load only when such a page is first shown.
import { ApiError, api, getToken, isAbort, setToken, startNavigation } from "./api.js";
import { destroyCharts } from "./charts.js";
import { errorBox, h, loadScript, setTitle } from "./dom.js";
import { renderArtifact } from "./pages/artifact.js";
import { renderArtifacts } from "./pages/artifacts.js";
import { renderAudit } from "./pages/audit.js";
import { renderCompare } from "./pages/compare.js";
import { renderLineage } from "./pages/lineage.js";
import { renderModel, renderModels, renderVersion } from "./pages/models.js";
import { renderDrift, renderMonitoring } from "./pages/monitoring.js";
import { renderPipeline } from "./pages/pipeline.js";
import { renderRun } from "./pages/run.js";
import { renderRuns } from "./pages/runs.js";

const LIBS = {
  chart: ["chart.umd.min.js"],
  graph: ["cytoscape.min.js", "cytoscape-dagre.min.js"],  // the plugin registers with cytoscape
};

// path segments ":name" capture; the first match wins; the last route is the fallback.
const ROUTES = [
  { path: "runs/:ref", title: "Run", libs: ["chart"], render: (v, a) => renderRun(v, a.ref) },
  { path: "compare", title: "Compare runs", libs: ["chart"], render: (v, a, q) => renderCompare(v, q) },
  { path: "lineage/:ref", title: "Lineage", libs: ["graph"], render: (v, a, q) => renderLineage(v, a.ref, q) },
  { path: "artifacts/:ref", title: "Artifact", render: (v, a) => renderArtifact(v, a.ref) },
  { path: "artifacts", title: "Artifacts", render: (v, a, q) => renderArtifacts(v, q) },
  { path: "pipelines/:ref", title: "Pipeline run", render: (v, a) => renderPipeline(v, a.ref) },
  { path: "monitoring/drift/:id", title: "Drift report", libs: ["chart"], render: (v, a, q) => renderDrift(v, a.id, q) },
  { path: "monitoring", title: "Monitoring", libs: ["chart"], render: (v) => renderMonitoring(v) },
  { path: "audit", title: "Audit log", render: (v, a, q) => renderAudit(v, q) },
  { path: "models/:name/:version", title: "Model version", render: (v, a) => renderVersion(v, a.name, a.version) },
  { path: "models/:name", title: "Model", render: (v, a) => renderModel(v, a.name) },
  { path: "models", title: "Models", render: (v) => renderModels(v) },
  { path: "runs", title: "Runs", render: (v, a, q) => renderRuns(v, q) },
];

const view = document.getElementById("view");

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/runs";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query) };
}

function match(parts) {
  for (const r of ROUTES) {
    const pat = r.path.split("/");
    if (pat.length !== parts.length) continue;
    const args = {};
    if (pat.every((p, i) => (p.startsWith(":") ? (args[p.slice(1)] = parts[i], true) : p === parts[i]))) return { r, args };
  }
  return { r: ROUTES[ROUTES.length - 1], args: {} };
}

function loadLibs(names = []) {
  const files = names.flatMap((n) => LIBS[n]);
  return files.reduce((p, f) => p.then(() => loadScript(new URL(`../vendor/${f}`, import.meta.url).href)), Promise.resolve());
}

async function route() {
  const signal = startNavigation();
  delete view.dataset.ready;
  destroyCharts();
  const { parts, params } = parseHash();
  const { r, args } = match(parts);
  setTitle(r.title);
  document.querySelectorAll("nav a").forEach((a) => {
    const on = a.dataset.nav === (parts[0] || "runs");
    a.classList.toggle("active", on);
    on ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current");
  });
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    await loadLibs(r.libs);
    if (signal.aborted) return;
    await r.render(view, args, params);
  } catch (err) {
    if (signal.aborted || isAbort(err)) return;  // a newer navigation owns the view
    if (!(err instanceof ApiError)) console.error(err);
    view.replaceChildren(errorBox(err, () => route()));
  }
  if (!signal.aborted) view.dataset.ready = location.hash;  // lets tests wait for a page
}

async function showWho() {
  const who = document.getElementById("whoami");
  try {
    const me = await api("/whoami", {}, { signal: null });
    who.textContent = me.anonymous ? "anonymous (read-only)" : `${me.name} · ${me.role}`;
  } catch (err) {
    who.textContent = err.status === 401 ? "no valid token" : "";
  }
}

document.getElementById("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = document.getElementById("token-input");
  setToken(input.value.trim());
  input.value = "";
  showWho();
  route();
});
document.getElementById("token-clear").addEventListener("click", () => { setToken(""); showWho(); route(); });
window.addEventListener("hashchange", route);
if (getToken() === "" && location.hash === "") location.hash = "#/runs";
showWho();
route();
