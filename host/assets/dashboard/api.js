// The dashboard's calls to the API with the tenant key kept in sessionStorage
// (gone when the tab closes). Every in-flight request is counted on <body
// data-busy> so that a test (or a person) can tell when the page is settled.

const KEY = "vitals.key";
const TENANT = "vitals.tenant";
const ROLE = "vitals.role";

let busy = 0;
function track(step) {
  busy += step;
  document.body.dataset.busy = String(busy);
}

export class AuthError extends Error {}

export function signedIn() {
  return Boolean(sessionStorage.getItem(KEY) && sessionStorage.getItem(TENANT));
}

export function tenant() {
  return sessionStorage.getItem(TENANT);
}

export function role() {
  return sessionStorage.getItem(ROLE);
}

export function signOut() {
  for (const k of [KEY, TENANT, ROLE]) sessionStorage.removeItem(k);
}

async function call(url, key) {
  track(1);
  try {
    const r = await fetch(url, { headers: { Authorization: "Bearer " + key } });
    const body = await r.json().catch(() => ({}));
    if (r.status === 401) throw new AuthError(body.message || "the key was refused");
    if (!r.ok) throw new Error(body.message || r.statusText);
    return body;
  } finally {
    track(-1);
  }
}

/** Checks a key and keeps it: only a tenant key opens the dashboard. */
export async function signIn(key) {
  const who = await call("/v1/whoami", key);
  if (who.kind !== "tenant") {
    throw new Error("That is the operator key; sign in with a tenant key (viewer or admin).");
  }
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(TENANT, who.tenant);
  sessionStorage.setItem(ROLE, who.role);
  return who;
}

/** GET /v1/tenants/{tenant}/PATH?PARAMS (blank params left out). */
export function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const qs = q.toString();
  const url = `/v1/tenants/${encodeURIComponent(tenant())}/${path}${qs ? "?" + qs : ""}`;
  return call(url, sessionStorage.getItem(KEY));
}
