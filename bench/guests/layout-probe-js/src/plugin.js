// The layout probe in JavaScript (vitals-bench layouts): one rule over plain
// account objects, fed either by the engine's lifting of the 0.1 records
// (`health.score`) or by a JavaScript SDK decoding the columnar batch
// (layout C2, `columnarList.score`) into the same plain objects. `receive`
// lifts the columnar batch and does nothing with it.

const NONE = 0xffffffff;

// Built-in fields in WIT order (the `field` enum's cases), with how a number
// becomes the field's value.
const FIELDS = [
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
const FIELD_BY_CASE = new Map(FIELDS.map((f, i) => [f[1], i]));

const blank = (v) => v === undefined || v === null;

// A metric by name: 0.2 objects keep a Map-like object, 0.1 records a list.
function metric(s, name) {
  if (s instanceof SnapshotView) return s.metric(name);
  const m = s.metrics;
  if (Array.isArray(m)) {
    const found = m.find((x) => x.name === name);
    return found === undefined ? undefined : found.value;
  }
  return m[name];
}

function changeOver(account, days, field) {
  const now = account.current[field];
  if (blank(now)) return undefined;
  const cutoff = account.current.asOf - days;
  for (let i = account.history.length - 1; i >= 0; i--) {
    const s = account.history[i];
    if (s.asOf <= cutoff) {
      const old = s[field];
      return blank(old) || old === 0 ? undefined : (now - old) / Math.abs(old);
    }
  }
  return undefined;
}

// A small scorecard: utilisation, a metric, NPS and the ARR trend.
function rule(account) {
  const s = account.current;
  const util = !blank(s.seatsActive) && s.seatsPurchased ? s.seatsActive / s.seatsPurchased : undefined;
  const webinars = metric(s, 'webinars-attended');
  const trend = changeOver(account, 90, 'arr');
  const parts = [
    ['licence-utilisation', 'usage', util, blank(util) ? 0 : Math.min(util, 1) * 100],
    ['webinars-attended', 'engagement', webinars, blank(webinars) ? 0 : (Math.min(webinars, 3) / 3) * 100],
    ['nps', 'feedback', s.nps, blank(s.nps) ? 0 : s.nps * 10],
    ['arr-change-90d', 'account-changes', trend, blank(trend) || trend >= 0 ? 100 : Math.max(0, 100 + trend * 300)],
  ];
  const weight = 1 / parts.length;
  const factors = parts.map(([name, group, value, points]) => ({
    name,
    group,
    value: blank(value) ? undefined : value,
    weight,
    points: weight * points,
  }));
  const score = factors.reduce((sum, f) => sum + f.points, 0);
  let band = score < 50 ? 'red' : score < 75 ? 'yellow' : 'green';
  if (account.attributes.tier === 'enterprise' && band === 'yellow' && score >= 70) band = 'green';
  return { score, band, factors };
}

// The columnar batch (C2) as plain objects, as a JavaScript SDK would give them.
function decode(batch) {
  const strings = batch.strings;
  const fields = Array.from(batch.fields, (f) => FIELDS[typeof f === 'number' ? f : FIELD_BY_CASE.get(f)]);
  const metricNames = Array.from(batch.metricNames, (i) => strings[i]);
  const labelNames = Array.from(batch.labelNames, (i) => strings[i]);
  const a = batch.accounts;
  const text = (column, i) => (column.length === 0 || column[i] === NONE ? undefined : strings[column[i]]);
  const number = (column, i) => (column.length === 0 || Number.isNaN(column[i]) ? undefined : column[i]);

  function snapshots(rows, start, stop) {
    const columns = [];
    fields.forEach((f, k) => {
      if (rows.fields[k].length > 0) columns.push([f[0], f[2], rows.fields[k]]);
    });
    const out = [];
    for (let r = start; r < stop; r++) {
      const s = { asOf: rows.asOf[r], metrics: {} };
      for (const [name, conv, col] of columns) {
        const v = col[r];
        if (!Number.isNaN(v)) s[name] = conv(v);
      }
      for (let m = 0; m < metricNames.length; m++) {
        const v = rows.metrics[m][r];
        if (!Number.isNaN(v)) s.metrics[metricNames[m]] = v;
      }
      out.push(s);
    }
    return out;
  }

  const current = snapshots(batch.current, 0, batch.current.asOf.length);
  const hs = batch.history.accountStart;
  return current.map((snapshot, i) => {
    const labels = {};
    if (a.labelStart.length > 0) {
      for (let k = a.labelStart[i]; k < a.labelStart[i + 1]; k++) {
        labels[labelNames[a.labelName[k]]] = strings[a.labelValue[k]];
      }
    }
    return {
      id: text(a.id, i),
      attributes: {
        name: text(a.name, i),
        owner: text(a.owner, i),
        tier: text(a.tier, i),
        plan: text(a.plan, i),
        startDate: number(a.startDate, i),
        renewalDate: number(a.renewalDate, i),
        contractArr: number(a.contractArr, i),
        labels,
      },
      current: snapshot,
      history: hs.length > 0 ? snapshots(batch.history, hs[i], hs[i + 1]) : [],
      health: [],
    };
  });
}

// Snapshot rows whose fields are read from the columns on access: only
// what the rule reads is ever converted.
class Rows {
  constructor(rows, fields, metricNames) {
    this.asOf = rows.asOf;
    this.columns = new Map();
    fields.forEach((f, k) => {
      if (rows.fields[k].length > 0) this.columns.set(f[0], [f[2], rows.fields[k]]);
    });
    this.metrics = new Map(metricNames.map((n, m) => [n, rows.metrics[m]]));
  }
}

class SnapshotView {
  constructor(rows, r) {
    this.rows = rows;
    this.r = r;
  }
  get asOf() {
    return this.rows.asOf[this.r];
  }
  get metrics() {
    const out = {};
    for (const [n, c] of this.rows.metrics) if (!Number.isNaN(c[this.r])) out[n] = c[this.r];
    return out;
  }
  metric(name) {
    const c = this.rows.metrics.get(name);
    return c === undefined || Number.isNaN(c[this.r]) ? undefined : c[this.r];
  }
}
for (const [name] of FIELDS) {
  Object.defineProperty(SnapshotView.prototype, name, {
    get() {
      const c = this.rows.columns.get(name);
      if (c === undefined) return undefined;
      const v = c[1][this.r];
      return Number.isNaN(v) ? undefined : c[0](v);
    },
  });
}

class AttributesView {
  constructor(strings, a, i) {
    this.strings = strings;
    this.a = a;
    this.i = i;
  }
  text(column) {
    return column.length === 0 || column[this.i] === NONE ? undefined : this.strings[column[this.i]];
  }
  number(column) {
    return column.length === 0 || Number.isNaN(column[this.i]) ? undefined : column[this.i];
  }
  get name() { return this.text(this.a.name); }
  get owner() { return this.text(this.a.owner); }
  get tier() { return this.text(this.a.tier); }
  get plan() { return this.text(this.a.plan); }
  get startDate() { return this.number(this.a.startDate); }
  get renewalDate() { return this.number(this.a.renewalDate); }
  get contractArr() { return this.number(this.a.contractArr); }
  get labels() { return {}; }
}

// The columnar batch (C2) as account objects over views.
function decodeLazy(batch) {
  const strings = batch.strings;
  const fields = Array.from(batch.fields, (f) => FIELDS[typeof f === 'number' ? f : FIELD_BY_CASE.get(f)]);
  const metricNames = Array.from(batch.metricNames, (i) => strings[i]);
  const current = new Rows(batch.current, fields, metricNames);
  const history = new Rows(batch.history, fields, metricNames);
  const hs = batch.history.accountStart;
  const a = batch.accounts;
  const out = [];
  for (let i = 0; i < batch.current.asOf.length; i++) {
    const past = [];
    if (hs.length > 0) for (let r = hs[i]; r < hs[i + 1]; r++) past.push(new SnapshotView(history, r));
    out.push({
      id: a.id.length > 0 ? strings[a.id[i]] : undefined,
      attributes: new AttributesView(strings, a, i),
      current: new SnapshotView(current, i),
      history: past,
      health: [],
    });
  }
  return out;
}

export const health = {
  metadata() {
    return {
      name: 'layout-probe-js',
      version: '0.0.1',
      kind: 'health-model',
      description: 'Bench probe of the contract layouts (vitals-bench layouts).',
      configSchema: '{"type": "object"}',
      reads: [],
    };
  },
  score(configText, asOf, accounts) {
    return accounts.map((a) => ({ tag: 'ok', val: rule(a) }));
  },
};

export const columnarList = {
  score(configText, asOf, batch) {
    return decode(batch).map((a) => ({ tag: 'ok', val: rule(a) }));
  },
  // The probe's second decoder: lazy views instead of plain objects.
  scoreOwned(configText, asOf, batch) {
    return decodeLazy(batch).map((a) => ({ tag: 'ok', val: rule(a) }));
  },
  receive(asOf, batch) {
    return batch.current.asOf.length;
  },
};
