// Tables: the account list (sortable columns and pages, both done by the
// server) and plain tables for the breakdowns.

import { el, link } from "./dom.js";
import * as fmt from "./format.js";

/** A band badge; with the previous band when it changed. */
export function bandBadge(band, before) {
  const b = fmt.band(band);
  const moved = before && band && before !== band;
  return el("span", { class: "badge band-" + b, "data-band": b }, b === "none" ? fmt.DASH : b,
    moved ? el("span", { class: "was" }, " was " + fmt.band(before)) : null);
}

export function accountLink(id, text) {
  return link("#/account/" + encodeURIComponent(id), text || id, { "data-account": id });
}

/** The columns an account list can show; `sort` names the API's sort column. */
export const COLUMNS = {
  account: { label: "Account", sort: "name", cell: (r) => [accountLink(r.id, r.name || r.id), el("div", { class: "sub" }, r.id)] },
  owner: { label: "Owner", sort: "owner", cell: (r) => r.owner ?? fmt.DASH },
  tier: { label: "Tier", sort: "tier", cell: (r) => r.tier ?? fmt.DASH },
  arr: { label: "ARR", sort: "arr", num: true, cell: (r) => fmt.money(r.arr) },
  score: { label: "Score", sort: "score", num: true, cell: (r) => fmt.score(r.score) },
  band: { label: "Band", sort: "band", cell: (r) => bandBadge(r.band, r.band_before) },
  segments: { label: "Segments", cell: (r) => r.segments.join(", ") || fmt.DASH },
  propensity: { label: "Propensity", sort: "propensity", num: true, cell: (r) => fmt.prob(r.propensity) },
  renewal_date: { label: "Renewal", sort: "renewal_date", cell: (r) => r.renewal_date ?? fmt.DASH },
  renewal_probability: { label: "P(renew)", sort: "renewal_probability", num: true, cell: (r) => fmt.prob(r.renewal_probability) },
  expected_renewal_arr: { label: "Exp. renewal ARR", sort: "expected_renewal_arr", num: true, cell: (r) => fmt.money(r.expected_renewal_arr) },
};

/**
 * A page of accounts (an AccountList from the API) with sortable headers and
 * a pager. `state` is {sort, order, offset, limit}; `nav(change)` is called
 * with the parameters to change (the view re-reads them from the address).
 */
export function accountTable(name, list, columns, state, nav) {
  const head = columns.map((c) => {
    const col = COLUMNS[c];
    if (!col.sort) return el("th", {}, col.label);
    const active = list.sort === col.sort;
    const next = active && list.order === "asc" ? "desc" : active ? "asc" : col.num ? "desc" : "asc";
    return el("th", { class: col.num ? "num" : null, "aria-sort": active ? (list.order === "asc" ? "ascending" : "descending") : null },
      el("button", { type: "button", class: "sort" + (active ? " active" : ""), "data-sort": col.sort,
        onclick: () => nav({ sort: col.sort, order: next, offset: 0 }) },
        col.label, active ? (list.order === "asc" ? " ▲" : " ▼") : ""));
  });
  const rows = list.rows.map((r) => el("tr", { "data-row": r.id },
    columns.map((c) => el("td", { class: COLUMNS[c].num ? "num" : null, "data-col": c }, COLUMNS[c].cell(r)))));
  const limit = state.limit;
  const first = list.total ? list.offset + 1 : 0;
  const last = list.offset + list.rows.length;
  return el("div", { class: "table-wrap" },
    el("table", { "data-table": name, "data-total": list.total },
      el("thead", {}, el("tr", {}, head)),
      el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, "No accounts")))),
    el("div", { class: "pager" },
      el("span", { "data-figure": name + ".range" }, `${fmt.int(first)}–${fmt.int(last)} of ${fmt.int(list.total)}`),
      el("button", { type: "button", "data-page": "prev", disabled: list.offset === 0,
        onclick: () => nav({ offset: Math.max(0, list.offset - limit) }) }, "‹ Prev"),
      el("button", { type: "button", "data-page": "next", disabled: last >= list.total,
        onclick: () => nav({ offset: list.offset + limit }) }, "Next ›")));
}

/** A plain table: `headers` are labels (a leading "#" marks a number column), `rows` arrays of cells. */
export function table(name, headers, rows, rowKeys) {
  const num = headers.map((h) => h.startsWith("#"));
  return el("div", { class: "table-wrap" },
    el("table", { "data-table": name },
      el("thead", {}, el("tr", {}, headers.map((h, i) => el("th", { class: num[i] ? "num" : null }, num[i] ? h.slice(1) : h)))),
      el("tbody", {}, rows.length
        ? rows.map((cells, j) => el("tr", { "data-row": rowKeys ? rowKeys[j] : null },
          cells.map((c, i) => el("td", { class: num[i] ? "num" : null }, c))))
        : el("tr", {}, el("td", { colspan: headers.length, class: "empty" }, "Nothing yet")))));
}

/** Table parameters from the address, with defaults. */
export function tableState(params, defaults) {
  return {
    sort: params.get("sort") || defaults.sort,
    order: params.get("order") || defaults.order,
    offset: Number(params.get("offset") || 0),
    limit: Number(params.get("limit") || defaults.limit || 25),
  };
}
