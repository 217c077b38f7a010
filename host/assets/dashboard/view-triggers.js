// Triggers: the tenant's rules, its webhook endpoints (disabled and failing
// ones first, with why), the latest events the rules fired and how their
// deliveries went (status, attempts, last answer code and latency).

import { get } from "./api.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountLink, table } from "./table.js";

function endpointStatus(w) {
  if (w.disabled) return el("span", { class: "badge band-red" }, "disabled: " + w.disabled.reason);
  if (w.flagged) return el("span", { class: "badge band-red" }, "flagged: " + w.flagged);
  if (w.failing_since_ms) return el("span", { class: "badge band-yellow" }, "failing since " + fmt.when(w.failing_since_ms));
  return el("span", { class: "badge band-green" }, "ok");
}

function deliveryStatus(d) {
  const band = { delivered: "green", pending: "yellow", dead: "red" }[d.status];
  return el("span", { class: "badge band-" + band }, d.status + (d.dead_reason ? ": " + d.dead_reason : ""));
}

function rulesPanel(rules) {
  return panel("Rules",
    table("triggers", ["Rule", "#Version", "Event", "Plugin", "Filters", "Webhooks", "State"],
      rules.map((v) => {
        const r = v.rule;
        const filters = Object.keys(r.filters || {}).length ? JSON.stringify(r.filters) : fmt.DASH;
        return [v.name, String(v.version), JSON.stringify(r.event), r.plugin ?? "(by kind)", filters,
          (r.webhooks || []).join(", ") || "(all)", r.enabled === false ? "disabled" : "enabled"];
      }),
      rules.map((v) => v.name)));
}

function endpointsPanel(hooks) {
  const failing = hooks.filter((w) => w.disabled || w.flagged || w.failing_since_ms);
  const ordered = [...failing, ...hooks.filter((w) => !failing.includes(w))];
  return panel("Webhook endpoints",
    el("p", { class: "sub" }, "failing or disabled: ", figure("webhooks.failing", fmt.int(failing.length), "strong")),
    table("webhooks", ["Endpoint", "URL", "Status"],
      ordered.map((w) => [w.name, el("code", {}, w.url), figure(`webhook.${w.name}.status`, endpointStatus(w))]),
      ordered.map((w) => w.name)));
}

function eventsPanel(events) {
  return panel("Recent events",
    table("events", ["#Run", "Rule", "Event", "Account", "Before", "After", "Webhooks"],
      events.map((e) => [String(e.run.id), `${e.rule.name} v${e.rule.version}`, e.type,
        accountLink(e.account.id, e.account.name || e.account.id),
        JSON.stringify(e.before), JSON.stringify(e.after), e.webhooks.join(", ") || fmt.DASH]),
      events.map((e) => e.id)));
}

function deliveriesPanel(deliveries) {
  const count = (s) => deliveries.filter((d) => d.status === s).length;
  return panel("Recent deliveries",
    el("p", { class: "sub" },
      "delivered ", figure("deliveries.delivered", fmt.int(count("delivered")), "strong"),
      " · pending ", figure("deliveries.pending", fmt.int(count("pending")), "strong"),
      " · dead ", figure("deliveries.dead", fmt.int(count("dead")), "strong")),
    table("deliveries", ["webhook-id", "Endpoint", "#Run", "Account", "Status", "#Attempts", "#Last code", "#Latency (ms)"],
      deliveries.map((d) => [el("code", {}, d.webhook_id), d.endpoint, String(d.run), accountLink(d.account),
        deliveryStatus(d), fmt.int(d.attempts), d.last?.code ? String(d.last.code) : fmt.DASH,
        d.last ? fmt.int(d.last.latency_ms) : fmt.DASH]),
      deliveries.map((d) => `${d.endpoint}/${d.webhook_id}`)));
}

export default async function triggers() {
  const [rules, hooks, events, deliveries] = await Promise.all([
    get("triggers"), get("webhooks"), get("events", { limit: 50 }), get("deliveries", { limit: 50 })]);
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Triggers"),
      el("p", { class: "sub" }, `${rules.length} rules, ${hooks.length} webhook endpoints`)),
    rulesPanel(rules), endpointsPanel(hooks), eventsPanel(events), deliveriesPanel(deliveries));
}
