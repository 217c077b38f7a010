// The dashboard's shell: sign-in with a tenant key, the navigation, and a
// router over the address's hash (#/view/arg?params), so every state of a
// view (filters, sort, page) is a link that can be shared or reloaded.

import { AuthError, role, signIn, signOut, signedIn, tenant } from "./api.js";
import { el } from "./dom.js";
import overview from "./view-overview.js";
import segments from "./view-segments.js";
import expansion from "./view-expansion.js";
import renewals from "./view-renewals.js";
import accounts from "./view-accounts.js";
import account from "./view-account.js";
import plugins from "./view-plugins.js";
import triggers from "./view-triggers.js";

const VIEWS = { overview, segments, expansion, renewals, accounts, account, plugins, triggers };

const main = () => document.getElementById("main");
let current = 0;

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return { name: VIEWS[name] ? name : "overview", arg: decodeURIComponent(rest.join("/")), params: new URLSearchParams(query || "") };
}

/** Goes to the current view with some parameters changed. */
function nav(change) {
  const { name, arg, params } = parseHash();
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined || v === null || v === "" || (k === "offset" && !v)) params.delete(k);
    else params.set(k, v);
  }
  const qs = params.toString();
  location.hash = `#/${name}${arg ? "/" + encodeURIComponent(arg) : ""}${qs ? "?" + qs : ""}`;
}

/** What the page shows; `renders` counts views drawn, so a click's effect can be awaited. */
function setState(view, state) {
  if (state === "loading" || view === "signin") {
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  }
  document.body.dataset.view = view;
  document.body.dataset.state = state;
}

function showSignIn(message) {
  current++;
  document.getElementById("nav").hidden = true;
  document.getElementById("search").hidden = true;
  document.getElementById("signout").hidden = true;
  document.getElementById("who").textContent = "";
  const input = el("input", { id: "key", type: "password", autocomplete: "off", required: true, placeholder: "vk_…", "aria-label": "Tenant key" });
  const error = el("p", { class: "error", role: "alert", hidden: !message }, message || "");
  const form = el("form", { id: "signin", class: "panel signin" },
    el("h1", {}, "Sign in"),
    el("p", {}, "Paste a tenant key (viewer or admin). It stays in this tab only."),
    input, el("button", { type: "submit" }, "Open the dashboard"), error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await signIn(input.value.trim());
      route();
    } catch (err) {
      error.textContent = err instanceof AuthError ? "That key was refused." : err.message;
      error.hidden = false;
    }
  });
  main().replaceChildren(form);
  setState("signin", "ready");
  input.focus();
}

async function route() {
  if (!signedIn()) return showSignIn();
  const { name, arg, params } = parseHash();
  const mine = ++current;
  document.getElementById("nav").hidden = false;
  document.getElementById("search").hidden = false;
  document.getElementById("signout").hidden = false;
  document.getElementById("who").textContent = `${tenant()} · ${role()}`;
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.nav === (name === "account" ? "accounts" : name));
  }
  setState(name, "loading");
  try {
    const node = await VIEWS[name]({ arg, params, nav });
    if (mine !== current) return;
    main().replaceChildren(node);
    setState(name, "ready");
  } catch (err) {
    if (mine !== current) return;
    if (err instanceof AuthError) {
      signOut();
      return showSignIn("The key was refused; sign in again.");
    }
    main().replaceChildren(el("div", { class: "panel error", role: "alert" }, err.message));
    setState(name, "error");
  }
}

document.body.dataset.busy = "0";
document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = document.getElementById("search-box").value.trim();
  location.hash = "#/accounts" + (q ? "?q=" + encodeURIComponent(q) : "");
});
document.getElementById("signout").addEventListener("click", () => {
  signOut();
  location.hash = "#/overview";
  showSignIn();
});
window.addEventListener("hashchange", route);
route();
