// Hash router: #/runs, #/runs/<id>, #/compare?ids=a,b, #/lineage/<ref>, #/artifacts, #/audit,
// #/models, #/models/<name>, #/models/<name>/<version>.
import { api, getToken, setToken } from "./api.js";
import { destroyCharts } from "./charts.js";
import { errorBox, h } from "./dom.js";
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

const view = document.getElementById("view");

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/runs";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query) };
}

async function route() {
  delete view.dataset.ready;
  destroyCharts();
  const { parts, params } = parseHash();
  const [page, ref, sub] = parts;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === page));
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    if (page === "runs" && ref) await renderRun(view, ref);
    else if (page === "compare") await renderCompare(view, params);
    else if (page === "lineage" && ref) await renderLineage(view, ref, params);
    else if (page === "artifacts" && ref) await renderArtifact(view, ref);
    else if (page === "artifacts") await renderArtifacts(view, params);
    else if (page === "pipelines" && ref) await renderPipeline(view, ref);
    else if (page === "monitoring" && ref === "drift" && sub) await renderDrift(view, sub, params);
    else if (page === "monitoring") await renderMonitoring(view);
    else if (page === "audit") await renderAudit(view, params);
    else if (page === "models" && ref && sub) await renderVersion(view, ref, sub);
    else if (page === "models" && ref) await renderModel(view, ref);
    else if (page === "models") await renderModels(view);
    else await renderRuns(view, params);
  } catch (err) {
    console.error(err);
    view.replaceChildren(errorBox(err));
  }
  view.dataset.ready = location.hash;  // lets tests wait for a page to finish rendering
}

async function showWho() {
  const who = document.getElementById("whoami");
  try {
    const me = await api("/whoami");
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
