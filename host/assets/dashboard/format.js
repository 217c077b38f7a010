// How figures are shown. Counts and money are whole numbers with thousands
// separators; rates have one decimal.

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const DASH = "–";

export function int(n) {
  return n === null || n === undefined ? DASH : whole.format(Math.round(n));
}

export const money = int;

/** A change: +12, -3, 0. */
export function delta(n) {
  if (n === null || n === undefined) return DASH;
  const r = Math.round(n);
  return r > 0 ? "+" + whole.format(r) : r < 0 ? "-" + whole.format(-r) : "0";
}

/** A 0-1 ratio as a percentage: 66.5 %. */
export function pct(x) {
  return x === null || x === undefined ? DASH : (x * 100).toFixed(1) + " %";
}

/** A 0-100 score. */
export function score(x) {
  return x === null || x === undefined ? DASH : x.toFixed(1);
}

/** A 0-1 probability or propensity. */
export function prob(x) {
  return x === null || x === undefined ? DASH : x.toFixed(2);
}

/** A date as the API gives it (YYYY-MM-DD). */
export function day(d) {
  return d === null || d === undefined ? DASH : d;
}

/** A band as the API names it (green, yellow, red). */
export function band(b) {
  return b ? b.toLowerCase() : "none";
}

/** Milliseconds since the epoch as a date and time. */
export function when(ms) {
  return ms ? new Date(ms).toISOString().slice(0, 16).replace("T", " ") : DASH;
}

/** A plugin kind (health-model) in words (health model). */
export function kind(k) {
  return k.replace(/-/g, " ");
}
