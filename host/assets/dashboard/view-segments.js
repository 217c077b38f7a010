// Segments: sizes, entered and left since the previous run, health per
// segment, and the members (or those who entered or left) of one segment.

import { get } from "./api.js";
import { bandMix } from "./charts.js";
import { el, figure, panel } from "./dom.js";
import * as fmt from "./format.js";
import { accountTable, table, tableState } from "./table.js";

const MEMBERSHIP = { member: "Members", entered: "Entered", left: "Left" };

export default async function segments({ params, nav }) {
  const view = await get("dashboard/segments");
  if (!view.run) {
    return el("div", { class: "view" }, el("h1", {}, "Segments"),
      panel(null, el("p", { class: "empty" }, "No segmenter run yet: activate a segmenter and run it")));
  }
  const chosen = params.get("segment") || view.segments[0]?.segment;
  const membership = MEMBERSHIP[params.get("membership")] ? params.get("membership") : "member";
  const state = tableState(params, { sort: "arr", order: "desc" });
  const members = chosen
    ? await get("dashboard/accounts", { segment: chosen, membership, ...state })
    : null;
  const health = Object.fromEntries(view.health.map((g) => [g.name, g]));
  const pick = (segment, m) => () => nav({ segment, membership: m === "member" ? "" : m, offset: 0 });
  const rows = view.segments.map((s) => {
    const g = health[s.segment];
    const key = "segment." + s.segment;
    return [
      el("button", { type: "button", class: "linkish" + (s.segment === chosen ? " active" : ""), "data-segment": s.segment, onclick: pick(s.segment, "member") }, s.segment),
      figure(key + ".size", fmt.int(s.size)),
      el("button", { type: "button", class: "linkish", onclick: pick(s.segment, "entered") }, figure(key + ".entered", "+" + fmt.int(s.entered))),
      el("button", { type: "button", class: "linkish", onclick: pick(s.segment, "left") }, figure(key + ".left", "-" + fmt.int(s.left))),
      g ? bandMix(g.bands) : fmt.DASH,
      g ? figure(key + ".red", fmt.int(g.bands.red)) : "0",
      figure(key + ".arr", fmt.money(g ? g.arr : 0)),
    ];
  });
  const prev = view.previous_run;
  return el("div", { class: "view" },
    el("div", { class: "heading" }, el("h1", {}, "Segments"),
      el("p", { class: "sub" }, `as of ${view.run.as_of} (run ${view.run.run}, ${view.run.plugin} ${view.run.version})`,
        prev ? ` · entered and left since ${prev.as_of} (run ${prev.run})` : " · no previous run to compare with")),
    panel("Segments", table("segments", ["Segment", "#Size", "#Entered", "#Left", "Health", "#Red", "#ARR"], rows, view.segments.map((s) => s.segment))),
    members
      ? panel(`${MEMBERSHIP[membership]}: ${chosen}`,
        el("div", { class: "tabs" }, Object.entries(MEMBERSHIP).map(([m, label]) =>
          el("button", { type: "button", class: m === membership ? "active" : null, "data-membership": m, onclick: pick(chosen, m) }, label))),
        accountTable("segment-members", members, ["account", "owner", "tier", "arr", "score", "band", "segments", "propensity"], state, nav))
      : null);
}
