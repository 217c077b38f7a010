// Small hand-written SVG charts: band counts across runs, a score over time,
// a revenue waterfall and a one-line band mix. Sizes are in viewBox units;
// CSS scales them to the panel.

import { svg } from "./dom.js";
import * as fmt from "./format.js";

const BANDS = ["red", "yellow", "green"];

/** A viewBox with room above the plot for the top tick's label. */
function box(w, h) {
  return `0 -14 ${w} ${h + 14}`;
}

function scale(domainMax, rangeMax) {
  return (v) => (domainMax > 0 ? (v / domainMax) * rangeMax : 0);
}

/** A tick value at or above `max`: 1, 2 or 5 times a power of ten. */
function niceMax(max) {
  if (max <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(max)));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
}

function yAxis(max, height, left, width, format) {
  const out = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = height - (height * i) / 4;
    out.push(svg("line", { x1: left, x2: left + width, y1: y, y2: y, class: "grid" }));
    out.push(svg("text", { x: left - 6, y: y + 4, class: "tick end" }, format(v)));
  }
  return out;
}

/** Stacked Red / Yellow / Green bars, one per run. */
export function bandTrend(points) {
  const W = 720, H = 220, L = 56, B = 28;
  const max = niceMax(Math.max(1, ...points.map((p) => p.counts.green + p.counts.yellow + p.counts.red)));
  const y = scale(max, H - B);
  const step = (W - L) / Math.max(points.length, 1);
  const bw = Math.min(56, step * 0.6);
  const bars = points.map((p, i) => {
    const x = L + step * i + (step - bw) / 2;
    let top = H - B;
    const parts = BANDS.map((b) => {
      const h = y(p.counts[b]);
      top -= h;
      return svg("rect", { x, y: top, width: bw, height: h, class: "fill-" + b },
        svg("title", {}, `${p.as_of}: ${fmt.int(p.counts[b])} ${b}`));
    });
    return svg("g", { "data-run": p.run }, parts,
      svg("text", { x: x + bw / 2, y: H - 8, class: "tick mid" }, p.as_of));
  });
  return svg("svg", { viewBox: box(W, H), class: "chart", role: "img", "aria-label": "Band counts across runs" },
    yAxis(max, H - B, L, W - L, fmt.int), bars);
}

/** A line of 0-100 scores over time, each point coloured by its band. */
export function scoreLine(points) {
  const W = 720, H = 200, L = 40, B = 28, R = 40;
  const y = (v) => (H - B) - ((H - B - 8) * v) / 100;
  const x = (i) => L + (points.length > 1 ? ((W - L - R) * i) / (points.length - 1) : (W - L - R) / 2);
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.score).toFixed(1)}`).join(" ");
  return svg("svg", { viewBox: box(W, H), class: "chart", role: "img", "aria-label": "Health score over time" },
    [0, 25, 50, 75, 100].map((v) => [
      svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: L - 6, y: y(v) + 4, class: "tick end" }, String(v)),
    ]),
    svg("path", { d: path, class: "line" }),
    points.map((p, i) => svg("g", {},
      svg("circle", { cx: x(i), cy: y(p.score), r: 5, class: "fill-" + fmt.band(p.band) },
        svg("title", {}, `${p.as_of}: ${fmt.score(p.score)} (${fmt.band(p.band)})`)),
      svg("text", { x: x(i), y: H - 8, class: "tick mid" }, p.as_of))));
}

/**
 * A waterfall: start, steps up and down, end. `steps` are
 * {label, value, kind: "total" | "up" | "down"}; "down" values are positive amounts taken off.
 */
export function waterfall(steps) {
  const W = 720, H = 240, L = 90, B = 40;
  let level = 0;
  const spans = steps.map((s) => {
    let from, to;
    if (s.kind === "total") { from = 0; to = s.value; level = s.value; }
    else if (s.kind === "up") { from = level; to = level + s.value; level = to; }
    else { from = level - s.value; to = level; level = from; }
    return { ...s, lo: Math.min(from, to), hi: Math.max(from, to) };
  });
  const max = niceMax(Math.max(1, ...spans.map((s) => s.hi)));
  const y = scale(max, H - B);
  const step = (W - L) / steps.length;
  const bw = step * 0.6;
  return svg("svg", { viewBox: box(W, H), class: "chart", role: "img", "aria-label": "Revenue waterfall" },
    yAxis(max, H - B, L, W - L, fmt.money),
    spans.map((s, i) => {
      const x = L + step * i + (step - bw) / 2;
      return svg("g", {},
        svg("rect", { x, y: H - B - y(s.hi), width: bw, height: Math.max(1, y(s.hi) - y(s.lo)), class: "wf-" + s.kind },
          svg("title", {}, `${s.label}: ${fmt.money(s.value)}`)),
        svg("text", { x: x + bw / 2, y: H - B - y(s.hi) - 6, class: "tick mid" },
          (s.kind === "down" ? "-" : s.kind === "up" ? "+" : "") + fmt.money(s.value)),
        svg("text", { x: x + bw / 2, y: H - 22, class: "tick mid" }, s.label));
    }));
}

/** A thin bar of one group's Red / Yellow / Green mix. */
export function bandMix(counts) {
  const total = counts.green + counts.yellow + counts.red;
  const W = 120, H = 12;
  let x = 0;
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "mix", role: "img",
    "aria-label": `${counts.green} green, ${counts.yellow} yellow, ${counts.red} red` },
    BANDS.map((b) => {
      const w = total ? (W * counts[b]) / total : 0;
      const r = svg("rect", { x, y: 0, width: w, height: H, class: "fill-" + b });
      x += w;
      return r;
    }));
}

/** Horizontal bars of signed values (factor points, driver contributions). */
export function bars(items, format) {
  const W = 240, H = 14;
  const max = Math.max(1e-9, ...items.map((i) => Math.abs(i.value)));
  return items.map((i) => svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "hbar", role: "img", "aria-label": format(i.value) },
    svg("rect", { x: 0, y: 2, width: (W * Math.abs(i.value)) / max, height: H - 4, class: i.value < 0 ? "neg" : "pos" })));
}
