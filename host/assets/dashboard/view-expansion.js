// Expansion: candidates ranked by propensity, with what drove each score and
// the account's ARR, searchable and paged on the server.

import { get } from "./api.js";
import { bars } from "./charts.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountLink, bandBadge, table } from "./table.js";

const PAGE = 25;

function drivers(list) {
  const shown = list.filter((d) => d.contribution !== 0);
  const items = (shown.length ? shown : list).slice(0, 4);
  const graphs = bars(items.map((d) => ({ value: d.contribution })), fmt.prob);
  return el("ul", { class: "drivers" }, items.map((d, i) =>
    el("li", {}, el("span", { class: "name" }, d.name), " ", el("span", { class: "value" }, fmt.prob(d.value)),
      graphs[i], el("span", { class: "contrib" }, (d.contribution >= 0 ? "+" : "") + fmt.prob(d.contribution)))));
}

export default async function expansion({ params, nav }) {
  const offset = Number(params.get("offset") || 0);
  const q = params.get("q") || "";
  const view = await get("dashboard/expansion", { offset, limit: PAGE, q });
  if (!view.run) {
    return el("div", { class: "view" }, el("h1", {}, "Expansion"),
      panel(null, el("p", { class: "empty" }, "No propensity run yet: activate a propensity model and run it")));
  }
  const search = el("input", { type: "search", name: "q", value: q, placeholder: "Find a candidate", "aria-label": "Find a candidate" });
  const form = el("form", { class: "inline", "data-form": "expansion-search" }, search, el("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => { e.preventDefault(); nav({ q: search.value.trim(), offset: 0 }); });
  const rows = view.candidates.map((c) => [
    figure(`candidate.${c.account.id}.rank`, String(c.rank)),
    [accountLink(c.account.id, c.account.name || c.account.id), el("div", { class: "sub" }, c.account.id)],
    c.account.owner ?? fmt.DASH,
    c.account.tier ?? fmt.DASH,
    figure(`candidate.${c.account.id}.arr`, fmt.money(c.account.arr)),
    figure(`candidate.${c.account.id}.propensity`, fmt.prob(c.propensity)),
    bandBadge(c.account.band, null),
    drivers(c.drivers),
  ]);
  const last = view.offset + view.candidates.length;
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Expansion candidates"),
      el("p", { class: "sub" }, `as of ${view.run.as_of} (run ${view.run.run}, ${view.run.plugin} ${view.run.version}) · ranked by propensity`)),
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("div", { class: "label" }, q ? "Matching candidates" : "Candidates"), figure("candidates", fmt.int(view.total), "div", "big")),
      el("div", { class: "card" }, el("div", { class: "label" }, "Their contract ARR"), figure("candidates.arr", fmt.money(view.arr), "div", "big"))),
    panel("Ranked", form,
      table("candidates", ["#Rank", "Account", "Owner", "Tier", "#ARR", "#Propensity", "Band", "Drivers"], rows, view.candidates.map((c) => c.account.id)),
      el("div", { class: "pager" },
        el("span", { "data-figure": "candidates.range" }, `${fmt.int(view.total ? view.offset + 1 : 0)}–${fmt.int(last)} of ${fmt.int(view.total)}`),
        el("button", { type: "button", "data-page": "prev", disabled: offset === 0, onclick: () => nav({ offset: Math.max(0, offset - PAGE) }) }, "‹ Prev"),
        el("button", { type: "button", "data-page": "next", disabled: last >= view.total, onclick: () => nav({ offset: offset + PAGE }) }, "Next ›"))));
}
