// Renewals: the forecast for the next 30, 90 and 180 days (due, expected
// renewal ARR, churn, expansion, contraction, GRR, NRR), the GRR / NRR
// waterfall of one horizon, and the accounts due in it.

import { get } from "./api.js";
import { waterfall } from "./charts.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountTable, table, tableState } from "./table.js";

const LINES = [
  ["renewals_due", "Renewals due", fmt.int],
  ["arr_due", "ARR due (start)", fmt.money],
  ["expected_renewal_arr", "Expected renewal ARR", fmt.money],
  ["expected_churn_arr", "Expected churn", fmt.money],
  ["expected_expansion_arr", "Expected expansion", fmt.money],
  ["expected_contraction_arr", "Expected contraction", fmt.money],
  ["grr", "GRR", fmt.pct],
  ["nrr", "NRR", fmt.pct],
];

export default async function renewals({ params, nav }) {
  const view = await get("dashboard/renewals");
  if (!view.run) {
    return el("div", { class: "view" }, el("h1", {}, "Renewals"),
      panel(null, el("p", { class: "empty" }, "No forecast run yet: activate a forecaster and run it")));
  }
  const days = Number(params.get("days")) || 90;
  const period = view.periods.find((p) => p.days === days) || view.periods[1];
  const state = tableState(params, { sort: "renewal_date", order: "asc" });
  const due = await get("dashboard/accounts", { renewal_within: period.days, ...state });
  const f = period.forecast;
  const end = f.arr_due + f.expected_expansion_arr - f.expected_contraction_arr - f.expected_churn_arr;
  const headers = ["", ...view.periods.map((p) => `#Next ${p.days} days`)];
  const rows = LINES.map(([key, label, format]) =>
    [label, ...view.periods.map((p) => figure(`p${p.days}.${key}`, format(p.forecast[key])))]);
  rows.push(["Due by confidence", ...view.periods.map((p) =>
    Object.entries(p.by_confidence).map(([c, n]) => `${c} ${fmt.int(n)}`).join(" · ") || fmt.DASH)]);
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Renewals"),
      el("p", { class: "sub" }, `forecast as of ${view.run.as_of} (run ${view.run.run}, ${view.run.plugin} ${view.run.version})`)),
    panel("Forecast by horizon", table("horizons", headers, rows, LINES.map((l) => l[0]).concat(["confidence"]))),
    panel(`GRR / NRR waterfall, next ${period.days} days (${f.from} to ${f.to})`,
      el("div", { class: "tabs" }, view.periods.map((p) =>
        el("button", { type: "button", class: p.days === period.days ? "active" : null, "data-days": p.days,
          onclick: () => nav({ days: p.days, offset: 0 }) }, `${p.days} days`))),
      waterfall([
        { label: "ARR due", value: f.arr_due, kind: "total" },
        { label: "Expansion", value: f.expected_expansion_arr, kind: "up" },
        { label: "Contraction", value: f.expected_contraction_arr, kind: "down" },
        { label: "Churn", value: f.expected_churn_arr, kind: "down" },
        { label: "Expected ARR", value: end, kind: "total" },
      ]),
      el("p", { class: "ratios" }, "GRR ", figure("waterfall.grr", fmt.pct(f.grr), "strong"),
        " = (start - contraction - churn) / start · NRR ", figure("waterfall.nrr", fmt.pct(f.nrr), "strong"),
        " = (start + expansion - contraction - churn) / start")),
    panel(`Due in the next ${period.days} days`,
      accountTable("renewals-due", due, ["account", "owner", "arr", "band", "renewal_date", "renewal_probability", "expected_renewal_arr"], state, nav)));
}
