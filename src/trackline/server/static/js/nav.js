// Navigation by hash, shared by the pages (the router itself lives in app.js).
export function go(path, params) {
  const qs = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString() : "";
  location.hash = "#" + path + (qs ? "?" + qs : "");
}
