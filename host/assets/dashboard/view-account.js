// One account: its attributes, latest health with the factor contributions,
// the score over time, segments, propensity, forecast, snapshots, outcomes.

import { get } from "./api.js";
import { bars, scoreLine } from "./charts.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { bandBadge, table } from "./table.js";

/** The latest result of each kind, and the health results, one per as-of. */
function byKind(results) {
  const latest = {};
  const health = new Map();
  for (const r of results) {
    latest[r.kind] = r;
    if (r.kind === "health-model" && r.result.output) health.set(r.as_of, { as_of: r.as_of, ...r.result.output });
  }
  return { latest, health: [...health.values()] };
}

function output(r) {
  return r && r.result.output;
}

function failure(r) {
  return r && r.result.error ? el("p", { class: "error" }, `${r.plugin}: ${Object.keys(r.result.error)[0] || "error"}`) : null;
}

const SNAPSHOT = [
  ["seats_active", "#Seats active"], ["seats_purchased", "#Seats bought"], ["logins", "#Logins"],
  ["features_used", "#Features"], ["tickets_open", "#Tickets"], ["tickets_high_severity", "#High sev."],
  ["nps", "#NPS"], ["csat", "#CSAT"], ["arr", "#ARR"],
];

/** Each factor's measure, weight and points, with a bar of its points. */
function factorTable(factors) {
  const graphs = bars(factors.map((f) => ({ value: f.points })), (v) => v.toFixed(1));
  return table("factors", ["Factor", "Group", "#Value", "#Weight", "#Points", ""],
    factors.map((f, i) => [f.name, f.group, f.value === null ? "blank" : f.value.toFixed(2), fmt.pct(f.weight),
      figure("factor." + f.name, f.points.toFixed(1)), graphs[i]]),
    factors.map((f) => f.name));
}

export default async function account({ arg }) {
  const a = await get("accounts/" + encodeURIComponent(arg));
  const at = a.attributes;
  const { latest, health } = byKind(a.results);
  const h = output(latest["health-model"]);
  const seg = output(latest.segmenter);
  const prop = output(latest["propensity-model"]);
  const fc = output(latest.forecaster);
  const facts = [
    ["Owner", at.owner], ["Tier", at.tier], ["Plan", at.plan], ["Contract ARR", fmt.money(at.contract_arr)],
    ["Customer since", fmt.day(at.start_date)], ["Renewal", fmt.day(at.renewal_date)],
  ];
  return el("div", { class: "view" },
    el("div", { class: "heading" },
      el("h1", { "data-figure": "account.name" }, at.name || a.id),
      el("p", { class: "sub" }, el("span", { "data-figure": "account.id" }, a.id),
        facts.map(([k, v]) => ` · ${k}: ${v ?? fmt.DASH}`))),
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("div", { class: "label" }, "Health"),
        h ? [figure("account.score", fmt.score(h.score), "div", "big"), bandBadge(h.band, null),
          el("div", { class: "change" }, `as of ${latest["health-model"].as_of}`)] : [el("div", { class: "big" }, fmt.DASH), failure(latest["health-model"])]),
      el("div", { class: "card" }, el("div", { class: "label" }, "Segments"),
        seg ? el("ul", { class: "reasons" }, seg.segments.map((s) => el("li", { "data-segment": s.name }, el("strong", {}, s.name), " ", el("span", { class: "sub" }, s.reason))))
          : failure(latest.segmenter) || fmt.DASH),
      el("div", { class: "card" }, el("div", { class: "label" }, "Expansion propensity"),
        prop ? [figure("account.propensity", fmt.prob(prop.score), "div", "big"),
          el("ul", { class: "reasons" }, prop.drivers.map((d) => el("li", {}, `${d.name} ${fmt.prob(d.value)} (${d.contribution >= 0 ? "+" : ""}${fmt.prob(d.contribution)})`)))]
          : failure(latest["propensity-model"]) || fmt.DASH),
      el("div", { class: "card" }, el("div", { class: "label" }, "Renewal forecast"),
        fc ? [figure("account.renewal_probability", fmt.pct(fc.renewal_probability), "div", "big"),
          el("div", {}, `${fc.confidence} · renews ${fmt.day(fc.renewal_date)}`),
          el("div", {}, "expected renewal ARR ", figure("account.expected_renewal_arr", fmt.money(fc.expected_renewal_arr))),
          el("div", { class: "sub" }, `expansion ${fmt.money(fc.expected_expansion_arr)} · contraction ${fmt.money(fc.expected_contraction_arr)}`),
          el("div", { class: "sub" }, fc.basis)]
          : failure(latest.forecaster) || fmt.DASH)),
    panel("Health score over time", health.length ? scoreLine(health) : el("p", { class: "empty" }, "Not scored yet")),
    h ? panel(`Factor contributions (score ${fmt.score(h.score)})`, factorTable(h.factors)) : null,
    panel("Snapshots",
      table("snapshots", ["As of", ...SNAPSHOT.map((s) => s[1])],
        a.history.slice().reverse().map((s) => [fmt.day(s.as_of), ...SNAPSHOT.map(([k]) =>
          s[k] === null || s[k] === undefined ? fmt.DASH : k === "arr" ? fmt.money(s[k]) : String(s[k]))]),
        a.history.slice().reverse().map((s) => fmt.day(s.as_of)))),
    panel("Outcomes",
      table("outcomes", ["Date", "What", "#ARR change"], a.outcomes.map((o) => [fmt.day(o.date), o.kind, fmt.money(o.arr_change)]))));
}
