// vitals.js: the JavaScript side of the contract vitals:plugin@0.2.0
// (shipped with every JavaScript plugin by `vitals plugin new`; you rarely
// edit it).
//
// The host sends a batch of accounts as columns (wit/types.wit); rules read
// each account as a plain object with today's names:
//
//   account.id, account.attributes.tier, account.attributes.labels
//   account.current.seatsActive            // undefined when blank or not sent
//   account.current.metrics['webinars']    // an object name -> value
//   account.history                        // earlier snapshots, oldest first
//   account.health                         // earlier health points, oldest first
//
// Snapshot fields are read from the columns when accessed (getters), so a
// rule pays only for what it reads. Number columns arrive as bytes
// (little-endian binary64) and are read in place as Float64Arrays. Rules
// return plain results with names as
// strings ({ score, band, factors: [{ name, group, value, weight, points }] },
// [{ name, reason }], { score, drivers: [...] }, a forecast); the SDK turns
// them into the call's name table. A plugin declares what it reads as a plain
// object (`READS`, see `projection`).

// Blanks in the columns (wit/types.wit).
export const NO_STRING = 0xffffffff;
export const NO_DATE = -2147483648;
export const NO_CONFIDENCE = 255;

// The built-in snapshot fields in the WIT `field` enum's order: the
// JavaScript name, the contract's name, and how a column's f64 becomes the value.
export const FIELDS = [
  ['seatsPurchased', 'seats-purchased', Math.trunc],
  ['seatsActive', 'seats-active', Math.trunc],
  ['logins', 'logins', Math.trunc],
  ['featuresUsed', 'features-used', Math.trunc],
  ['featuresAvailable', 'features-available', Math.trunc],
  ['ticketsOpen', 'tickets-open', Math.trunc],
  ['ticketsHighSeverity', 'tickets-high-severity', Math.trunc],
  ['nps', 'nps', Math.trunc],
  ['csat', 'csat', (v) => v],
  ['arr', 'arr', (v) => v],
  ['championLeft', 'champion-left', (v) => v !== 0],
  ['latePayments', 'late-payments', Math.trunc],
];
const FIELD_INDEX = new Map(FIELDS.map(([, contract], i) => [contract, i]));
export const ATTRIBUTES = ['name', 'owner', 'tier', 'plan', 'startDate', 'renewalDate', 'contractArr', 'renewalConfidence'];
const ATTRIBUTE_CASES = ['name', 'owner', 'tier', 'plan', 'start-date', 'renewal-date', 'contract-arr', 'renewal-confidence'];
const CONFIDENCES = ['commit', 'best-case', 'pipeline', 'omitted'];
const BANDS = ['green', 'yellow', 'red'];

/** The tenant's configuration is unusable; the message names the field. */
export class ConfigError extends Error {}

/** This account has no result: `code` is the plugin-error case
 * (`missing-data`, `invalid-input` or `internal`). */
export class AccountError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const isBlank = (v) => v === undefined || v === null;

/**
 * A number column (`f64-column`: little-endian binary64 bytes, a Uint8Array)
 * as a Float64Array over the same bytes, or undefined when not sent. A
 * Float64Array needs its offset aligned to 8: an unaligned column is copied
 * once. WebAssembly is little-endian, so the platform's order is the
 * contract's. A length that is not a multiple of 8 fails the call naming
 * the column.
 */
function numbers(column, name) {
  if (column.length === 0) return undefined;
  // componentize-qjs lifts a list<u8> as a Uint8Array; anything else is copied once.
  const bytes = ArrayBuffer.isView(column) ? column : Uint8Array.from(column);
  if (bytes.length % 8 !== 0) {
    throw { tag: 'invalid-input', val: `batch column ${name}: ${bytes.length} bytes, not a whole number of 8-byte values` };
  }
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  return new Float64Array(Uint8Array.from(bytes).buffer);
}

/** The bytes of a number column holding `values` (undefined/null blank). */
const f64Column = (values) => new Uint8Array(Float64Array.from(values, (v) => (isBlank(v) ? NaN : Number(v))).buffer);

/** A metric's value by name, or undefined: reads decoded snapshots, plain
 * objects `{ name: value }` and 0.1's lists of `{ name, value }`. */
export function metric(snapshot, name) {
  if (snapshot instanceof SnapshotView) return snapshot.metric(name);
  const m = snapshot.metrics;
  if (Array.isArray(m)) {
    const found = m.find((x) => x.name === name);
    return found === undefined ? undefined : found.value;
  }
  const v = m[name];
  return isBlank(v) ? undefined : v;
}

/** A label's value by name, or undefined. */
export function label(attributes, name) {
  const found = attributes.labels.find((l) => l.name === name);
  return found === undefined ? undefined : found.value;
}

// ------------------------------------------------------------------ decode

/** One `rows` record of a batch, its columns found by field once a call
 * (`at` names it in errors: `current`, `history.rows`). */
class Rows {
  constructor(rows, fields, metricNames, at) {
    this.asOf = rows.asOf;
    this.byField = new Array(FIELDS.length).fill(undefined);
    fields.forEach((f, k) => {
      this.byField[FIELD_INDEX.get(f)] = numbers(rows.fields[k], `${at}.fields[${k}] (${f})`);
    });
    this.metrics = new Map();
    metricNames.forEach((n, k) => {
      const column = numbers(rows.metrics[k], `${at}.metrics[${k}] (${n})`);
      if (column !== undefined) this.metrics.set(n, column);
    });
  }
}

/** A snapshot read from the columns on access: a field that is blank or was
 * not sent reads undefined. */
class SnapshotView {
  constructor(rows, row) {
    this.rows = rows;
    this.row = row;
  }
  get asOf() {
    return this.rows.asOf[this.row];
  }
  /** The snapshot's metrics as an object name -> value, blanks left out. */
  get metrics() {
    const out = {};
    for (const [n, c] of this.rows.metrics) if (!Number.isNaN(c[this.row])) out[n] = c[this.row];
    return out;
  }
  metric(name) {
    const c = this.rows.metrics.get(name);
    return c === undefined || Number.isNaN(c[this.row]) ? undefined : c[this.row];
  }
  toJSON() {
    const out = { asOf: this.asOf };
    for (const [name] of FIELDS) if (this[name] !== undefined) out[name] = this[name];
    out.metrics = this.metrics;
    return out;
  }
}
FIELDS.forEach(([name, , convert], k) => {
  Object.defineProperty(SnapshotView.prototype, name, {
    enumerable: true,
    get() {
      const c = this.rows.byField[k];
      if (c === undefined) return undefined;
      const v = c[this.row];
      return Number.isNaN(v) ? undefined : convert(v);
    },
  });
});

const span = (starts, i, total) => (starts.length === 0 ? [0, 0] : [starts[i], i + 1 < starts.length ? starts[i + 1] : total]);

/** An account's attributes read from the batch's columns on access. */
class AttributesView {
  constructor(shared, i) {
    this.shared = shared;
    this.i = i;
  }
  text(column) {
    return column.length === 0 || column[this.i] === NO_STRING ? undefined : this.shared.strings[column[this.i]];
  }
  date(column) {
    return column.length === 0 || column[this.i] === NO_DATE ? undefined : column[this.i];
  }
  get name() { return this.text(this.shared.accounts.name); }
  get owner() { return this.text(this.shared.accounts.owner); }
  get tier() { return this.text(this.shared.accounts.tier); }
  get plan() { return this.text(this.shared.accounts.plan); }
  get startDate() { return this.date(this.shared.accounts.startDate); }
  get renewalDate() { return this.date(this.shared.accounts.renewalDate); }
  get contractArr() {
    const c = this.shared.contractArr;
    return c === undefined || Number.isNaN(c[this.i]) ? undefined : c[this.i];
  }
  get renewalConfidence() {
    const c = this.shared.accounts.renewalConfidence;
    return c.length === 0 || c[this.i] === NO_CONFIDENCE ? undefined : CONFIDENCES[c[this.i]];
  }
  get labels() {
    const { accounts: a, strings, labelNames } = this.shared;
    const [start, stop] = span(a.labelStart, this.i, a.labelName.length);
    const out = [];
    for (let k = start; k < stop; k++) out.push({ name: labelNames[a.labelName[k]], value: strings[a.labelValue[k]] });
    return out;
  }
  toJSON() {
    const out = {};
    for (const name of ATTRIBUTES) if (this[name] !== undefined) out[name] = this[name];
    out.labels = this.labels;
    return out;
  }
}

/** One account of a batch; history and health are built when first read. */
class AccountView {
  constructor(shared, i) {
    const ids = shared.accounts.id;
    this.id = ids.length === 0 ? undefined : shared.strings[ids[i]];
    this.attributes = new AttributesView(shared, i);
    this.current = new SnapshotView(shared.current, i);
    this.shared = shared;
    this.i = i;
    this.pastSnapshots = undefined;
    this.pastHealth = undefined;
  }
  get history() {
    if (this.pastSnapshots === undefined) {
      const rows = this.shared.history;
      const [start, stop] = span(this.shared.historyStart, this.i, rows.asOf.length);
      this.pastSnapshots = [];
      for (let r = start; r < stop; r++) this.pastSnapshots.push(new SnapshotView(rows, r));
    }
    return this.pastSnapshots;
  }
  get health() {
    if (this.pastHealth === undefined) {
      const { health: h, healthScore: score } = this.shared;
      const [start, stop] = span(h.accountStart, this.i, h.asOf.length);
      this.pastHealth = [];
      for (let k = start; k < stop; k++) this.pastHealth.push({ asOf: h.asOf[k], score: score[k], band: BANDS[h.band[k]] });
    }
    return this.pastHealth;
  }
  toJSON() {
    return { id: this.id, attributes: this.attributes, current: this.current, history: this.history, health: this.health };
  }
}

/** The batch's accounts, in order, as account objects over its columns. */
export function decode(batch) {
  const strings = batch.strings;
  const metricNames = Array.from(batch.metricNames, (k) => strings[k]);
  const shared = {
    strings,
    accounts: batch.accounts,
    contractArr: numbers(batch.accounts.contractArr, 'accounts.contract-arr'),
    labelNames: Array.from(batch.labelNames, (k) => strings[k]),
    current: new Rows(batch.current, batch.fields, metricNames, 'current'),
    history: new Rows(batch.history.rows, batch.fields, metricNames, 'history.rows'),
    historyStart: batch.history.accountStart,
    health: batch.health,
    healthScore: numbers(batch.health.score, 'health.score'),
  };
  const out = [];
  for (let i = 0; i < batch.current.asOf.length; i++) out.push(new AccountView(shared, i));
  return out;
}

// ----------------------------------------------------------------- results

/** The call's name table: each distinct name once, referred to by index. */
class Names {
  constructor() {
    this.names = [];
    this.index = new Map();
  }
  of(name) {
    let i = this.index.get(name);
    if (i === undefined) {
      if (typeof name !== 'string') throw new TypeError(`a name must be a string, not ${JSON.stringify(name)}`);
      i = this.names.length;
      this.index.set(name, i);
      this.names.push(name);
    }
    return i;
  }
}

const option = (v) => (isBlank(v) ? undefined : v);

// Per kind: how one result is encoded, and the record of the batch's results.
const KINDS = {
  'health-model': [
    (h, names) => ({
      score: h.score,
      band: h.band,
      factors: h.factors.map((f) => ({
        name: names.of(f.name),
        group: names.of(f.group),
        value: option(f.value),
        weight: f.weight,
        points: f.points,
      })),
    }),
    (names, results) => ({ names, results }),
  ],
  segmenter: [(segments, names) => segments.map((s) => ({ name: names.of(s.name), reason: s.reason })), (names, results) => ({ names, results })],
  'propensity-model': [
    (p, names) => ({
      score: p.score,
      drivers: p.drivers.map((d) => ({ name: names.of(d.name), value: d.value, contribution: d.contribution })),
    }),
    (names, results) => ({ names, results }),
  ],
  forecaster: [(f) => f, (names, results) => ({ results })],
};

// -------------------------------------------------------------- projection

const WINDOWS = ['days', 'latest', 'all'];
// `seatsActive` and `seats_active` name the contract's `seats-active`.
const contractName = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');

/**
 * The contract's projection from a plain declaration, for example
 *
 *   export const READS = {
 *     attributes: ['tier', 'renewal-date'],             // attribute names
 *     labels: ['region'],                               // label names, or 'all'
 *     current: { fields: ['seats-active'], metrics: ['webinars'] },
 *     history: { days: 180, fields: ['logins'], metrics: [] },
 *     health: { latest: 1 },
 *   };
 *
 * Every key may be left out: nothing of it is read. `fields` and `metrics`
 * take a list or 'all'; field and attribute names are the contract's
 * (`seats-active`; `seatsActive` is accepted too). A window (`history`,
 * `health`) is { days: N } (the snapshots within N days before the current
 * one and the latest before those), { latest: N } or { all: true }. Throws
 * an Error naming what is wrong.
 */
export function projection(reads) {
  keys(reads, ['attributes', 'labels', 'current', 'history', 'health'], 'READS');
  const history = reads.history;
  return {
    attributes: list(reads.attributes ?? [], 'READS.attributes').map((n) => lookup(ATTRIBUTE_CASES, n, 'READS.attributes', 'attribute')),
    labels: names(reads.labels ?? [], 'READS.labels'),
    current: readsOf(reads.current ?? {}, [], 'READS.current'),
    history: windowOf(history, ['fields', 'metrics'], 'READS.history'),
    historyReads: readsOf(history ?? {}, WINDOWS, 'READS.history'),
    health: windowOf(reads.health, [], 'READS.health'),
  };
}

function keys(spec, allowed, at) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`${at}: must be an object`);
  const unknown = Object.keys(spec).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new Error(`${at}: unknown key '${unknown[0]}' (use ${allowed.join(', ')})`);
}

function list(value, at) {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${at}: must be a list of names`);
  return value;
}

function lookup(cases, name, at, what) {
  const found = contractName(name);
  if (!cases.includes(found)) throw new Error(`${at}: unknown ${what} '${name}' (use ${cases.join(', ')})`);
  return found;
}

const names = (value, at) => (value === 'all' ? { tag: 'all' } : { tag: 'only', val: [...list(value, at)] });

function readsOf(spec, otherKeys, at) {
  keys(spec, ['fields', 'metrics', ...otherKeys], at);
  const fields = spec.fields ?? [];
  const cases = FIELDS.map(([, contract]) => contract);
  return {
    fields: fields === 'all' ? cases : list(fields, `${at}.fields`).map((n) => lookup(cases, n, `${at}.fields`, 'field')),
    metrics: names(spec.metrics ?? [], `${at}.metrics`),
  };
}

function windowOf(spec, otherKeys, at) {
  if (isBlank(spec)) return { tag: 'none' };
  keys(spec, [...WINDOWS, ...otherKeys], at);
  const given = WINDOWS.filter((k) => k in spec);
  if (given.length !== 1) throw new Error(`${at}: give one of days: N, latest: N or all: true`);
  const [kind] = given;
  const n = spec[kind];
  if (kind === 'all') {
    if (n !== true) throw new Error(`${at}.all: must be true`);
    return { tag: 'all' };
  }
  if (!Number.isInteger(n) || n < 0 || n > NO_STRING) throw new Error(`${at}.${kind}: must be a whole number >= 0`);
  return { tag: kind, val: n };
}

// ------------------------------------------------------------- entry points
// What plugin.js calls. `plugin` is the rules module: NAME, VERSION,
// DESCRIPTION, CONFIG_SCHEMA, READS, parseConfig(text), evaluate(config,
// asOf, account) and, when what it reads depends on the configuration,
// project(config) returning a declaration like READS.

/** The plugin's metadata; `reads` is its READS. */
export function metadata(plugin, kind) {
  return {
    name: plugin.NAME,
    version: plugin.VERSION,
    kind,
    description: plugin.DESCRIPTION,
    configSchema: JSON.stringify(plugin.CONFIG_SCHEMA),
    reads: projection(plugin.READS),
  };
}

function configOf(plugin, text) {
  try {
    return plugin.parseConfig(text);
  } catch (e) {
    // A thrown plugin-error fails the whole call: the configuration is
    // wrong for every account.
    if (e instanceof ConfigError) throw { tag: 'invalid-config', val: e.message };
    throw e;
  }
}

/** What the plugin reads under a tenant's configuration. */
export function project(plugin, configText) {
  const config = configOf(plugin, configText);
  const reads = typeof plugin.project === 'function' ? plugin.project(config) : plugin.READS;
  try {
    return projection(reads);
  } catch (e) {
    throw { tag: 'internal', val: `the plugin's projection: ${e.message}` };
  }
}

/**
 * One result or error per account of the batch, in order: an account whose
 * rules throw AccountError gets that error; a bad configuration fails the
 * call. `log(message)` hears how many accounts had no result.
 */
export function run(plugin, kind, configText, asOf, batch, log) {
  const config = configOf(plugin, configText);
  const [encode, collect] = KINDS[kind];
  const table = new Names();
  let failed = 0;
  const results = decode(batch).map((account) => {
    try {
      return { tag: 'ok', val: encode(plugin.evaluate(config, asOf, account), table) };
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      failed += 1;
      return { tag: 'err', val: { tag: e.code, val: e.message } };
    }
  });
  if (failed > 0 && log !== undefined) log(`${failed} of ${results.length} accounts had no result`);
  return collect(table.names, results);
}

// ------------------------------------------------------------------ testing

/**
 * The columnar batch the host would send for these plain accounts (every
 * field, metric, label and history row they hold), so tests can run rules
 * through `decode` or `run` as the component does. Accounts are shaped as
 * rules read them: { id, attributes: { ..., labels: [{ name, value }] },
 * current: { asOf, seatsActive, ..., metrics: { name: value } }, history, health }.
 */
export function batchOf(accounts) {
  const strings = [];
  const index = new Map();
  const text = (s) => {
    if (isBlank(s)) return NO_STRING;
    if (!index.has(s)) {
      index.set(s, strings.length);
      strings.push(s);
    }
    return index.get(s);
  };
  const starts = (lists) => {
    const out = [0];
    for (const items of lists) out.push(out[out.length - 1] + items.length);
    return out;
  };
  const history = (a) => a.history ?? [];
  const healthOf = (a) => a.health ?? [];
  const attrs = accounts.map((a) => ({ labels: [], ...a.attributes }));
  const snapshots = [...accounts.map((a) => a.current), ...accounts.flatMap(history)];
  const metricNames = [...new Set(snapshots.flatMap((s) => Object.keys(s.metrics ?? {})))];
  const labels = attrs.flatMap((t) => t.labels);
  const labelNames = [...new Set(labels.map((l) => l.name))];
  const labelIndex = new Map(labelNames.map((n, k) => [n, k]));
  const rows = (of) => ({
    asOf: of.map((s) => s.asOf),
    fields: FIELDS.map(([name]) => f64Column(of.map((s) => s[name]))),
    metrics: metricNames.map((n) => f64Column(of.map((s) => (s.metrics ?? {})[n]))),
  });
  const health = accounts.flatMap(healthOf);
  return {
    strings,
    fields: FIELDS.map(([, contract]) => contract),
    metricNames: metricNames.map(text),
    labelNames: labelNames.map(text),
    accounts: {
      id: accounts.map((a) => text(a.id)),
      name: attrs.map((t) => text(t.name)),
      owner: attrs.map((t) => text(t.owner)),
      tier: attrs.map((t) => text(t.tier)),
      plan: attrs.map((t) => text(t.plan)),
      startDate: attrs.map((t) => (isBlank(t.startDate) ? NO_DATE : t.startDate)),
      renewalDate: attrs.map((t) => (isBlank(t.renewalDate) ? NO_DATE : t.renewalDate)),
      contractArr: f64Column(attrs.map((t) => t.contractArr)),
      renewalConfidence: Uint8Array.from(attrs, (t) => (isBlank(t.renewalConfidence) ? NO_CONFIDENCE : CONFIDENCES.indexOf(t.renewalConfidence))),
      labelStart: starts(attrs.map((t) => t.labels)),
      labelName: labels.map((l) => labelIndex.get(l.name)),
      labelValue: labels.map((l) => text(l.value)),
    },
    current: rows(accounts.map((a) => a.current)),
    history: { accountStart: starts(accounts.map(history)), rows: rows(accounts.flatMap(history)) },
    health: {
      accountStart: starts(accounts.map(healthOf)),
      asOf: health.map((p) => p.asOf),
      score: f64Column(health.map((p) => p.score)),
      band: Uint8Array.from(health, (p) => BANDS.indexOf(p.band)),
    },
  };
}
