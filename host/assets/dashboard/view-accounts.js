// Accounts: search by name or id, filter by band, owner, tier or segment,
// sort on any column and page, all on the server.

import { get } from "./api.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountTable, tableState } from "./table.js";

const FILTERS = ["q", "band", "owner", "tier", "segment", "membership", "turned_red", "renewal_within"];

function select(name, label, options, value, nav) {
  const s = el("select", { name, "aria-label": label, onchange: (e) => nav({ [name]: e.target.value, offset: 0 }) },
    el("option", { value: "" }, `${label}: all`),
    options.map((o) => el("option", { value: o, selected: o === value }, o)));
  return s;
}

export default async function accounts({ params, nav }) {
  const state = tableState(params, { sort: "id", order: "asc" });
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || ""]));
  const [list, overview] = await Promise.all([
    get("dashboard/accounts", { ...filters, ...state }),
    get("dashboard/overview"),
  ]);
  const search = el("input", { type: "search", name: "q", value: filters.q, placeholder: "Name or id", "aria-label": "Search accounts by name or id" });
  const form = el("form", { class: "inline", "data-form": "account-search" }, search, el("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => { e.preventDefault(); nav({ q: search.value.trim(), offset: 0 }); });
  const extra = ["turned_red", "renewal_within", "membership", "tier"].filter((f) => filters[f]);
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Accounts"),
      el("p", { class: "sub" }, figure("accounts.total", fmt.int(list.total)), ` of ${fmt.int(overview.accounts)} accounts`,
        extra.map((f) => ` · ${f.replace("_", " ")}: ${filters[f]}`))),
    panel(null,
      el("div", { class: "filters" }, form,
        select("band", "Band", ["green", "yellow", "red", "none"], filters.band, nav),
        select("owner", "Owner", overview.by_owner.map((g) => g.name), filters.owner, nav),
        select("segment", "Segment", overview.by_segment.map((g) => g.name), filters.segment, nav),
        Object.values(filters).some(Boolean)
          ? el("button", { type: "button", onclick: () => { location.hash = "#/accounts"; } }, "Clear filters")
          : null),
      accountTable("accounts", list,
        ["account", "owner", "tier", "arr", "score", "band", "segments", "propensity", "renewal_date", "renewal_probability"], state, nav)));
}
