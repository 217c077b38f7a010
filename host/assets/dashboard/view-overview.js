// Overview: Green / Yellow / Red with the change since the previous run,
// their trend across runs, who turned Red, health by segment and by owner.

import { get } from "./api.js";
import { bandMix, bandTrend } from "./charts.js";
import { el, figure, link, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountTable, table } from "./table.js";

function bandCard(name, now, before) {
  return el("div", { class: "card band-card band-" + name },
    el("div", { class: "label" }, name[0].toUpperCase() + name.slice(1)),
    figure(name, fmt.int(now[name]), "div", "big"),
    before
      ? el("div", { class: "change" }, figure(name + ".change", fmt.delta(now[name] - before[name])), " since the previous run")
      : el("div", { class: "change" }, "no previous run"));
}

function groupTable(name, groups, linkTo, withTurned) {
  const headers = [name === "by-owner" ? "Owner" : "Segment", "#Accounts", "Mix", "#Green", "#Yellow", "#Red"];
  if (withTurned) headers.push("#Turned Red");
  headers.push("#ARR", "#Red ARR");
  const rows = groups.map((g) => {
    const key = `${name}.${g.name}`;
    const cells = [link(linkTo(g.name), g.name), figure(key + ".accounts", fmt.int(g.accounts)), bandMix(g.bands),
      figure(key + ".green", fmt.int(g.bands.green)), figure(key + ".yellow", fmt.int(g.bands.yellow)),
      figure(key + ".red", fmt.int(g.bands.red))];
    if (withTurned) cells.push(figure(key + ".turned_red", fmt.int(g.turned_red)));
    cells.push(figure(key + ".arr", fmt.money(g.arr)), figure(key + ".red_arr", fmt.money(g.red_arr)));
    return cells;
  });
  return table(name, headers, rows, groups.map((g) => g.name));
}

export default async function overview() {
  const [o, turned] = await Promise.all([
    get("dashboard/overview"),
    get("dashboard/accounts", { turned_red: true, sort: "arr", order: "desc", limit: 10 }),
  ]);
  const h = o.health_run;
  const heading = el("div", { class: "heading" },
    el("h1", {}, "Customer health"),
    el("p", { class: "sub" }, h
      ? [`${fmt.int(o.accounts)} accounts · as of ${h.as_of} (run ${h.run}, ${h.plugin} ${h.version})`,
        o.previous_run ? ` · compared with ${o.previous_run.as_of} (run ${o.previous_run.run})` : ""]
      : `${fmt.int(o.accounts)} accounts · no health run yet: activate a health model and run it`));
  const cards = el("div", { class: "cards" },
    ["green", "yellow", "red"].map((b) => bandCard(b, o.now, o.before)),
    el("div", { class: "card band-card turned" },
      el("div", { class: "label" }, "Turned Red"),
      figure("turned_red", fmt.int(o.turned_red), "div", "big"),
      el("div", { class: "change" }, link("#/accounts?turned_red=true&sort=arr&order=desc", "see them all"))));
  const errors = Object.entries(o.errors);
  return el("div", { class: "view" }, heading, cards,
    panel("Band counts across runs", o.history.length ? bandTrend(o.history) : el("p", { class: "empty" }, "No health runs yet")),
    panel("Turned Red since the previous run",
      accountTable("turned-red", turned, ["account", "owner", "tier", "arr", "score", "band", "segments"],
        { limit: 10 }, (c) => { location.hash = "#/accounts?turned_red=true&" + new URLSearchParams({ sort: "arr", order: "desc", ...c }); })),
    el("div", { class: "columns" },
      panel("By segment", groupTable("by-segment", o.by_segment, (n) => "#/segments?segment=" + encodeURIComponent(n), false)),
      panel("By owner (CSM portfolio)", groupTable("by-owner", o.by_owner, (n) => "#/accounts?owner=" + encodeURIComponent(n), true))),
    errors.length
      ? panel("Per-account errors in the latest runs",
        table("errors", ["Plugin / kind", "#Accounts"], errors.map(([k, n]) => [k, figure("errors." + k, fmt.int(n))])))
      : null);
}
