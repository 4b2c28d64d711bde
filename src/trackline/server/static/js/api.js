// The REST API as the UI sees it: the same endpoints and token the CLI and HttpStore use.
const KEY = "trackline.token";

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function getToken() { return localStorage.getItem(KEY) || ""; }
export function setToken(t) { t ? localStorage.setItem(KEY, t) : localStorage.removeItem(KEY); }

// The router starts a navigation per URL; requests default to its signal, so leaving a page
// aborts what it still waits for and a late answer can never draw under a newer URL.
let navigation = new AbortController();
export function startNavigation() {
  navigation.abort();
  navigation = new AbortController();
  return navigation.signal;
}

export const isAbort = (err) => err && err.name === "AbortError";

// A request the page can do without: ``fallback`` when it fails, but leaving the page still
// stops the page (the abort is rethrown, so nothing draws under the newer URL).
export const apiOr = (path, params, fallback) =>
  api(path, params).catch((err) => { if (isAbort(err)) throw err; return fallback; });

export async function api(path, params = {}, { signal = navigation.signal } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") qs.set(k, v);
  }
  const url = "/api/v1" + path + (qs.toString() ? "?" + qs : "");
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = "Bearer " + token;
  const resp = await fetch(url, { headers, signal });
  let body = null;
  try { body = await resp.json(); } catch (err) { if (isAbort(err)) throw err; /* non-JSON error page */ }
  if (!resp.ok) {
    const err = (body && body.error) || { code: "error", message: `HTTP ${resp.status}` };
    throw new ApiError(resp.status, err.code, err.message);
  }
  return body;
}
