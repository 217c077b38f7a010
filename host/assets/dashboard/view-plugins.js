// Plugins: the vendor packs installed (version, vendor, signing key, and
// whether the operator revoked it); per plugin, its versions and which is
// active, its last runs, per-account errors by kind, and shadow-run
// reports of candidate versions.

import { get } from "./api.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { table } from "./table.js";

function status(r) {
  if (r.discarded) return `discarded by ${r.discarded.by}`;
  return r.status.state === "failed" ? `failed: ${r.status.reason}` : r.status.state;
}

function errors(map) {
  const e = Object.entries(map);
  return e.length ? e.map(([k, n]) => `${k} ${fmt.int(n)}`).join(" · ") : "none";
}

function pluginPanel(p) {
  const key = "plugin." + p.name;
  return panel(null,
    el("div", { class: "plugin-head", "data-plugin": p.name },
      el("h2", {}, p.name), el("span", { class: "badge" }, fmt.kind(p.kind)),
      el("span", {}, "active ", figure(key + ".active", p.active ?? "none", "strong")),
      el("span", {}, "errors in the latest run: ", figure(key + ".errors", errors(p.errors)))),
    el("h3", {}, "Versions"),
    table(key + ".versions", ["Version", "Contract", "sha-256", "Installed", ""],
      p.versions.map((v) => [v.version, figure(`${key}.${v.version}.contract`, v.contract), el("code", {}, v.hash.slice(0, 12)), fmt.when(v.installed_ms), v.active ? el("span", { class: "badge band-green" }, "active") : ""]),
      p.versions.map((v) => v.version)),
    el("h3", {}, `Last runs (${fmt.int(p.run_count)} in all)`),
    table(key + ".runs", ["#Run", "Version", "As of", "Status", "#Accounts", "#OK", "Errors", "#Duration (ms)"],
      p.runs.map((r) => [String(r.id), r.version, r.as_of, status(r), fmt.int(r.accounts), fmt.int(r.ok), errors(r.errors), fmt.int(r.duration_ms)]),
      p.runs.map((r) => String(r.id))),
    el("h3", {}, "Shadow runs"),
    table(key + ".shadows", ["#Report", "Candidate", "As of", "#Accounts", "#Changed", "Band moves", "#Mean delta", "Candidate errors"],
      p.shadows.map((s) => [String(s.id), `${s.candidate_version} vs ${s.active_version}`, s.as_of, fmt.int(s.accounts),
        figure(`shadow.${s.id}.changed`, fmt.int(s.changed)),
        s.band_changes.map((b) => `${fmt.band(b.from)}→${fmt.band(b.to)} ${fmt.int(b.accounts)}`).join(" · ") || "none",
        s.mean_delta === null ? fmt.DASH : s.mean_delta.toFixed(2), errors(s.errors_candidate)]),
      p.shadows.map((s) => String(s.id))));
}

function packStatus(p) {
  if (p.revoked) return el("span", { class: "badge band-red" }, "revoked: " + p.flag);
  if (p.flag) return el("span", { class: "badge band-yellow" }, p.flag);
  return el("span", { class: "badge band-green" }, "trusted");
}

function packsPanel(packs) {
  return panel("Vendor packs",
    table("packs", ["Pack", "Active", "Versions", "Vendor", "Signing key", "Status"],
      packs.map((p) => [p.name, figure(`pack.${p.name}.active`, p.active ?? "none", "strong"), p.versions.join(", "), p.vendor,
        p.key_id ? `${p.key_id}${p.key_name ? " (" + p.key_name + ")" : ""}` : "unsigned",
        figure(`pack.${p.name}.status`, packStatus(p))]),
      packs.map((p) => p.name)));
}

export default async function plugins() {
  const [panels, packs] = await Promise.all([get("dashboard/plugins"), get("packs")]);
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Plugins"),
      el("p", { class: "sub" }, `${panels.length} plugins installed` + (packs.length ? `, ${packs.length} from vendor packs` : ""))),
    packs.length ? packsPanel(packs) : null,
    panels.length ? panels.map(pluginPanel) : panel(null, el("p", { class: "empty" }, "No plugins installed yet")));
}
