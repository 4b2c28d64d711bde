// The REST API as the UI sees it: the same endpoints and token the CLI and HttpStore use.
const KEY = "trackline.token";

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function getToken() { return localStorage.getItem(KEY) || ""; }
export function setToken(t) { t ? localStorage.setItem(KEY, t) : localStorage.removeItem(KEY); }

export async function api(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") qs.set(k, v);
  }
  const url = "/api/v1" + path + (qs.toString() ? "?" + qs : "");
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = "Bearer " + token;
  const resp = await fetch(url, { headers });
  let body = null;
  try { body = await resp.json(); } catch { /* non-JSON error page */ }
  if (!resp.ok) {
    const err = (body && body.error) || { code: "error", message: `HTTP ${resp.status}` };
    throw new ApiError(resp.status, err.code, err.message);
  }
  return body;
}
