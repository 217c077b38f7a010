// Unit tests of vitals.js, natively: `node --test` in this folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccountError, ConfigError, ATTRIBUTES, FIELDS, NO_CONFIDENCE, NO_DATE, NO_STRING,
  batchOf, decode, label, metadata, metric, project, projection, run,
} from './vitals.js';

const AS_OF = 20454; // 2026-01-01

// A number column as the engine lifts it: the values' little-endian bytes.
const f64 = (...values) => new Uint8Array(new Float64Array(values).buffer);

// Two accounts as the engine lifts a host's batch: acme with two earlier
// snapshots, labels and health points; blank-co with blanks everywhere.
function handBuiltBatch() {
  return {
    strings: ['acme', 'Acme Ltd', 'enterprise', 'webinars', 'region', 'emea', 'blank-co', 'tickets-closed'],
    // Column order is the host's choice, not the enum's.
    fields: ['seats-active', 'seats-purchased', 'champion-left', 'csat'],
    metricNames: [3, 7],
    labelNames: [4],
    accounts: {
      id: [0, 6],
      name: [1, NO_STRING],
      owner: [], // not asked for
      tier: [2, NO_STRING],
      plan: [],
      startDate: [20000, NO_DATE],
      renewalDate: [20500, NO_DATE],
      contractArr: f64(12000, NaN),
      renewalConfidence: new Uint8Array([1, NO_CONFIDENCE]),
      labelStart: [0, 1, 1],
      labelName: [0],
      labelValue: [5],
    },
    current: {
      asOf: [AS_OF, AS_OF - 3],
      fields: [f64(9, NaN), f64(10, NaN), f64(1, NaN), f64(87.5, NaN)],
      metrics: [f64(2, NaN), f64(NaN, 4)],
    },
    history: {
      accountStart: [0, 2, 2],
      // History reads fewer fields: an empty column was not sent.
      rows: { asOf: [AS_OF - 180, AS_OF - 90], fields: [f64(5, 7), f64(), f64(), f64()], metrics: [f64(0, 1), f64()] },
    },
    health: { accountStart: [0, 2, 2], asOf: [AS_OF - 90, AS_OF - 30], score: f64(80, 42.5), band: new Uint8Array([0, 2]) },
  };
}

test('ids and attributes read their columns; blanks and unsent columns read undefined', () => {
  const [acme, blank] = decode(handBuiltBatch());
  const a = acme.attributes;
  assert.equal(acme.id, 'acme');
  assert.deepEqual([a.name, a.tier, a.startDate, a.renewalDate, a.contractArr], ['Acme Ltd', 'enterprise', 20000, 20500, 12000]);
  assert.equal(a.renewalConfidence, 'best-case');
  assert.equal(a.owner, undefined);
  assert.equal(blank.id, 'blank-co');
  for (const name of ATTRIBUTES) assert.equal(blank.attributes[name], undefined, name);
  for (const [name] of FIELDS) assert.equal(blank.current[name], undefined, name);
});

test('fields have their types, unsent fields read undefined, and are read when accessed', () => {
  const batch = handBuiltBatch();
  const [acme] = decode(batch);
  const s = acme.current;
  assert.deepEqual([s.asOf, s.seatsActive, s.seatsPurchased, s.csat, s.championLeft], [AS_OF, 9, 10, 87.5, true]);
  assert.equal(s.logins, undefined);
  new Float64Array(batch.current.fields[0].buffer)[0] = 3;
  assert.equal(acme.current.seatsActive, 3, 'lazy: read from the column on access');
});

test('number columns are read at any offset, and a partial value fails the call naming the column', () => {
  const batch = handBuiltBatch();
  // The same bytes one past an 8-byte boundary.
  const shifted = new Uint8Array(17);
  shifted.set(f64(9, NaN), 1);
  batch.current.fields[0] = shifted.subarray(1);
  assert.equal(decode(batch)[0].current.seatsActive, 9);
  batch.history.rows.metrics[0] = new Uint8Array(9);
  assert.throws(() => decode(batch), {
    tag: 'invalid-input',
    val: 'batch column history.rows.metrics[0] (webinars): 9 bytes, not a whole number of 8-byte values',
  });
});

test('history is the account\'s rows, oldest first', () => {
  const [acme, blank] = decode(handBuiltBatch());
  assert.deepEqual(acme.history.map((h) => [h.asOf, h.seatsActive]), [[AS_OF - 180, 5], [AS_OF - 90, 7]]);
  assert.equal(acme.history[0].seatsPurchased, undefined, 'not read in the history');
  assert.deepEqual(blank.history, []);
});

test('labels and health points', () => {
  const [acme, blank] = decode(handBuiltBatch());
  assert.deepEqual(acme.attributes.labels, [{ name: 'region', value: 'emea' }]);
  assert.equal(label(acme.attributes, 'region'), 'emea');
  assert.equal(label(acme.attributes, 'segment'), undefined);
  assert.deepEqual(blank.attributes.labels, []);
  assert.deepEqual(acme.health, [{ asOf: AS_OF - 90, score: 80, band: 'green' }, { asOf: AS_OF - 30, score: 42.5, band: 'red' }]);
  assert.deepEqual(blank.health, []);
});

test('metrics are an object without blanks, and metric() reads every shape', () => {
  const [acme, blank] = decode(handBuiltBatch());
  assert.deepEqual(acme.current.metrics, { webinars: 2 });
  assert.deepEqual(blank.current.metrics, { 'tickets-closed': 4 });
  assert.equal(metric(acme.current, 'webinars'), 2);
  assert.equal(metric(acme.current, 'tickets-closed'), undefined);
  assert.equal(metric(acme.history[1], 'webinars'), 1);
  assert.equal(metric(acme.history[1], 'tickets-closed'), undefined, 'column not sent');
  assert.equal(metric({ metrics: { webinars: 3 } }, 'webinars'), 3);
  assert.equal(metric({ metrics: [{ name: 'webinars', value: 4 }] }, 'webinars'), 4);
});

test('plain accounts come back through batchOf and decode', () => {
  const given = {
    id: 'acme',
    attributes: { tier: 'smb', renewalDate: 20600, contractArr: 500, renewalConfidence: 'omitted', labels: [{ name: 'region', value: 'us' }] },
    current: { asOf: AS_OF, seatsActive: 4, championLeft: false, metrics: { webinars: 2 } },
    history: [{ asOf: AS_OF - 30, seatsActive: 2, metrics: {} }],
    health: [{ asOf: AS_OF - 30, score: 55, band: 'yellow' }],
  };
  const [back] = decode(batchOf([given]));
  assert.deepEqual(JSON.parse(JSON.stringify(back)), given);
});

// A health model over licence utilisation.
const rules = {
  NAME: 'test-health',
  VERSION: '1.0.0',
  DESCRIPTION: 'For tests.',
  CONFIG_SCHEMA: { type: 'object' },
  READS: { current: { fields: ['seats-purchased', 'seats-active'] } },
  parseConfig(text) {
    if (text === 'bad') throw new ConfigError('red_below: must be a number');
    return {};
  },
  evaluate(config, asOf, account) {
    const s = account.current;
    if (!s.seatsPurchased) throw new AccountError('missing-data', 'seats-purchased is blank or zero');
    const used = s.seatsActive / s.seatsPurchased;
    return {
      score: used * 100,
      band: 'green',
      factors: [
        { name: 'licence-utilisation', group: 'usage', value: used, weight: 0.5, points: used * 50 },
        { name: 'nps', group: 'feedback', value: undefined, weight: 0.5, points: 50 },
      ],
    };
  },
};

const threeAccounts = () =>
  batchOf([
    { id: 'a', attributes: {}, current: { asOf: AS_OF, seatsPurchased: 10, seatsActive: 5 } },
    { id: 'b', attributes: {}, current: { asOf: AS_OF } },
    { id: 'c', attributes: {}, current: { asOf: AS_OF, seatsPurchased: 4, seatsActive: 4 } },
  ]);

test('results are in order, names sent once, and a failing account gets its error', () => {
  const heard = [];
  const out = run(rules, 'health-model', '{}', AS_OF, threeAccounts(), (m) => heard.push(m));
  assert.deepEqual(out.names, ['licence-utilisation', 'usage', 'nps', 'feedback']);
  const [a, b, c] = out.results;
  assert.deepEqual(a, {
    tag: 'ok',
    val: {
      score: 50,
      band: 'green',
      factors: [
        { name: 0, group: 1, value: 0.5, weight: 0.5, points: 25 },
        { name: 2, group: 3, value: undefined, weight: 0.5, points: 50 },
      ],
    },
  });
  assert.deepEqual(b, { tag: 'err', val: { tag: 'missing-data', val: 'seats-purchased is blank or zero' } });
  assert.deepEqual(c.val.factors.map((f) => [f.name, f.group]), [[0, 1], [2, 3]]);
  assert.deepEqual(heard, ['1 of 3 accounts had no result']);
});

test('a bad configuration fails the call; another exception is not an account error', () => {
  assert.throws(() => run(rules, 'health-model', 'bad', AS_OF, threeAccounts()), (e) => e.tag === 'invalid-config' && /red_below/.test(e.val));
  const broken = { ...rules, evaluate: () => { throw new RangeError('bug'); } };
  assert.throws(() => run(broken, 'health-model', '{}', AS_OF, threeAccounts()), RangeError);
});

test('segments and drivers use the name table; forecasts pass as they are', () => {
  const seg = { parseConfig: () => ({}), evaluate: (c, asOf, a) => [{ name: 'dormant', reason: `${a.id} idle` }, { name: 'vip', reason: 'big' }] };
  const segments = run(seg, 'segmenter', '{}', AS_OF, threeAccounts());
  assert.deepEqual(segments.names, ['dormant', 'vip']);
  assert.deepEqual(segments.results[2], { tag: 'ok', val: [{ name: 0, reason: 'c idle' }, { name: 1, reason: 'big' }] });
  const prop = { parseConfig: () => ({}), evaluate: () => ({ score: 0.25, drivers: [{ name: 'usage', value: 1, contribution: 0.25 }] }) };
  const propensity = run(prop, 'propensity-model', '{}', AS_OF, threeAccounts());
  assert.deepEqual(propensity.names, ['usage']);
  assert.deepEqual(propensity.results[0].val, { score: 0.25, drivers: [{ name: 0, value: 1, contribution: 0.25 }] });
  const forecast = { renewalProbability: 0.9, confidence: 'commit', basis: 'why', expectedRenewalArr: 900, expectedExpansionArr: 0, expectedContractionArr: 0 };
  const forecasts = run({ parseConfig: () => ({}), evaluate: () => forecast }, 'forecaster', '{}', AS_OF, threeAccounts());
  assert.deepEqual(forecasts, { results: [1, 2, 3].map(() => ({ tag: 'ok', val: forecast })) });
  const bad = { parseConfig: () => ({}), evaluate: () => [{ name: 7, reason: 'x' }] };
  assert.throws(() => run(bad, 'segmenter', '{}', AS_OF, threeAccounts()), TypeError);
});

test('a declaration becomes the contract\'s projection', () => {
  assert.deepEqual(
    projection({
      attributes: ['tier', 'renewalDate'],
      labels: 'all',
      current: { fields: ['seats-active', 'nps'], metrics: ['webinars'] },
      history: { days: 90, fields: ['arr'] },
      health: { latest: 1 },
    }),
    {
      attributes: ['tier', 'renewal-date'],
      labels: { tag: 'all' },
      current: { fields: ['seats-active', 'nps'], metrics: { tag: 'only', val: ['webinars'] } },
      history: { tag: 'days', val: 90 },
      historyReads: { fields: ['arr'], metrics: { tag: 'only', val: [] } },
      health: { tag: 'latest', val: 1 },
    },
  );
  const empty = projection({});
  assert.deepEqual([empty.attributes, empty.labels, empty.history, empty.health], [[], { tag: 'only', val: [] }, { tag: 'none' }, { tag: 'none' }]);
  assert.equal(projection({ current: { fields: 'all' } }).current.fields.length, FIELDS.length);
  assert.deepEqual(projection({ history: { all: true } }).history, { tag: 'all' });
});

test('projection mistakes are named', () => {
  for (const [reads, words] of [
    [{ curent: {} }, "unknown key 'curent'"],
    [{ current: { fields: ['seats'] } }, "READS.current.fields: unknown field 'seats'"],
    [{ attributes: ['colour'] }, "unknown attribute 'colour'"],
    [{ history: { fields: ['arr'] } }, 'READS.history: give one of'],
    [{ health: { days: -1 } }, 'READS.health.days'],
    [{ labels: 'some' }, 'READS.labels: must be a list'],
  ]) {
    assert.throws(() => projection(reads), (e) => e.message.includes(words), words);
  }
});

test('project uses the configuration; metadata carries the declared reads', () => {
  const plugin = { parseConfig: (text) => ({ days: Number(text) }), project: (c) => ({ history: { days: c.days, fields: ['arr'] } }) };
  assert.deepEqual(project(plugin, '30').history, { tag: 'days', val: 30 });
  assert.deepEqual(project(rules, '{}'), projection(rules.READS));
  assert.throws(() => project(rules, 'bad'), (e) => e.tag === 'invalid-config');
  const m = metadata(rules, 'health-model');
  assert.deepEqual([m.name, m.kind, m.configSchema], ['test-health', 'health-model', '{"type":"object"}']);
  assert.deepEqual(m.reads.current.fields, ['seats-purchased', 'seats-active']);
});
