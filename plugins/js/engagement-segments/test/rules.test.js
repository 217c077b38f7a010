// Unit tests of the rules, run natively with Node's test runner
// (`vitals plugin test`, `npm test`, or the e2e suite). Accounts are plain
// objects shaped as ../src/vitals.js presents a batch's accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as rules from '../src/rules.js';
import { assign, parseConfig, AccountError, ConfigError, CONFIG_SCHEMA, DEFAULTS } from '../src/rules.js';
import { batchOf, project, run } from '../src/vitals.js';

const AS_OF = 20454; // 2026-01-01
const DEFAULT = parseConfig('{}');

function account(current, { renewalDate, health = [] } = {}) {
  return {
    id: 'acme',
    attributes: { renewalDate, labels: [] },
    current: { asOf: AS_OF, metrics: {}, ...current },
    history: [],
    health,
  };
}

const names = (segments) => segments.map((s) => s.name);

test('a heavy, broad user is a power user, with the figures in the reason', () => {
  const out = assign(DEFAULT, AS_OF, account({ seatsPurchased: 50, seatsActive: 40, logins: 800, featuresUsed: 12, featuresAvailable: 20 }));
  assert.deepEqual(names(out), ['power-users']);
  assert.match(out[0].reason, /20 logins per active seat \(>= 15\) and 60 % of features used/);
});

test('low utilisation is dormant, and a renewal soon makes it at risk without a health score', () => {
  const out = assign(DEFAULT, AS_OF, account({ seatsPurchased: 100, seatsActive: 10, logins: 300 }, { renewalDate: AS_OF + 30 }));
  assert.deepEqual(names(out), ['dormant', 'renewal-due', 'renewal-at-risk']);
  assert.match(out[0].reason, /10 of 100 seats active \(10 %, below 25 %\)/);
  assert.match(out[2].reason, /no health score, and dormant/);
});

test('the latest health band decides renewal risk when there is one', () => {
  const snap = { seatsPurchased: 10, seatsActive: 9, logins: 100 };
  const red = [{ asOf: AS_OF - 90, score: 80, band: 'green' }, { asOf: AS_OF, score: 31.5, band: 'red' }];
  assert.deepEqual(names(assign(DEFAULT, AS_OF, account(snap, { renewalDate: AS_OF + 5, health: red }))), ['renewal-due', 'renewal-at-risk']);
  const green = [{ asOf: AS_OF, score: 88, band: 'green' }];
  assert.deepEqual(names(assign(DEFAULT, AS_OF, account(snap, { renewalDate: AS_OF + 5, health: green }))), ['renewal-due']);
  assert.deepEqual(names(assign(DEFAULT, AS_OF, account(snap, { renewalDate: AS_OF + 91, health: red }))), []);
});

test('support, detractors and a lost champion', () => {
  const out = assign(DEFAULT, AS_OF, account({ ticketsOpen: 2, ticketsHighSeverity: 1, nps: 4, championLeft: true }));
  assert.deepEqual(names(out), ['champion-lost', 'support-heavy', 'detractor']);
  assert.deepEqual(names(assign(DEFAULT, AS_OF, account({ ticketsOpen: 5, ticketsHighSeverity: 0, nps: 7 }))), ['support-heavy']);
});

test('blank measures (undefined or null) place the account nowhere', () => {
  assert.deepEqual(assign(DEFAULT, AS_OF, account({})), []);
  assert.deepEqual(assign(DEFAULT, AS_OF, account({ seatsPurchased: null, seatsActive: null, nps: null, championLeft: null })), []);
});

test('disabled segments are skipped', () => {
  const config = parseConfig('{"disabled": ["detractor"]}');
  assert.deepEqual(assign(config, AS_OF, account({ nps: 2 })), []);
});

test('more active seats than purchased is invalid input', () => {
  assert.throws(() => assign(DEFAULT, AS_OF, account({ seatsPurchased: 5, seatsActive: 9 })),
    (e) => e instanceof AccountError && e.code === 'invalid-input' && /seats-active 9 exceeds seats-purchased 5/.test(e.message));
});

test('bad configuration names the field', () => {
  for (const [text, field] of [
    ['{"dormant_utilisation": 2}', 'dormant_utilisation'],
    ['{"support_tickets": 0.5}', 'support_tickets'],
    ['{"disabled": ["vip"]}', '"vip"'],
    ['{"colour": 1}', 'colour'],
    ['[1]', 'JSON object'],
    ['{', 'not JSON'],
  ]) {
    assert.throws(() => parseConfig(text), (e) => e instanceof ConfigError && e.message.includes(field), text);
  }
});

test('the schema describes exactly the configuration fields', () => {
  assert.deepEqual(Object.keys(CONFIG_SCHEMA.properties).sort(), Object.keys(DEFAULTS).sort());
});

test('a batch is segmented account by account through the SDK, segment names in the call\'s table', () => {
  const batch = batchOf([
    account({ seatsPurchased: 100, seatsActive: 10, logins: 300 }, { renewalDate: AS_OF + 30 }),
    account({ seatsPurchased: 5, seatsActive: 9 }),
    account({ nps: 4 }, { renewalDate: AS_OF + 5, health: [{ asOf: AS_OF, score: 31.5, band: 'red' }] }),
  ]);
  const out = run({ ...rules, evaluate: assign }, 'segmenter', '{}', AS_OF, batch);
  const named = (result) => result.val.map((s) => out.names[s.name]);
  assert.deepEqual(named(out.results[0]), ['dormant', 'renewal-due', 'renewal-at-risk']);
  assert.equal(out.results[1].tag, 'err');
  assert.equal(out.results[1].val.tag, 'invalid-input');
  assert.deepEqual(named(out.results[2]), ['detractor', 'renewal-due', 'renewal-at-risk']);
  assert.match(out.results[2].val[2].reason, /health red \(31.5\)/);
  assert.equal(new Set(out.names).size, out.names.length, 'each name once');
});

test('the projection reads the renewal date and the latest health score', () => {
  const reads = project(rules, '{}');
  assert.deepEqual(reads.attributes, ['renewal-date']);
  assert.deepEqual(reads.health, { tag: 'latest', val: 1 });
  assert.deepEqual(reads.history, { tag: 'none' });
});

test('the SDK is the templates\' copy', (t) => {
  const template = new URL('../../../../host/templates/js/vitals.js', import.meta.url);
  if (!existsSync(template)) return t.skip('not inside a Vitals checkout');
  assert.equal(readFileSync(new URL('../src/vitals.js', import.meta.url), 'utf8'), readFileSync(template, 'utf8'));
});
