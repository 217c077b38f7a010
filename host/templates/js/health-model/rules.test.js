import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError, ConfigError } from '../src/rules.js';
import * as rules from '../src/rules.js';
import { batchOf, metadata, run } from '../src/vitals.js';
import { account } from './fixtures.js';

test('utilisation sets score and band', () => {
  const health = evaluate(parseConfig('{}'), 20454, account({ seatsPurchased: 10, seatsActive: 9 }));
  assert.equal(health.score, 90);
  assert.equal(health.band, 'green');
});

test('blank seats are missing data', () => {
  assert.throws(() => evaluate(parseConfig('{}'), 20454, account({})), AccountError);
});

test('bad configuration names the field', () => {
  assert.throws(() => parseConfig('{"red_below": "low"}'), (e) => e instanceof ConfigError && e.message.includes('red_below'));
});

test('a batch gets one result per account through the SDK, names in a table', () => {
  const batch = batchOf([account({ seatsPurchased: 10, seatsActive: 9 }), { ...account({}), id: 'blank' }]);
  const out = run(rules, 'health-model', '{}', 20454, batch);
  const [scored, blank] = out.results;
  assert.equal(scored.val.score, 90);
  assert.deepEqual(scored.val.factors.map((f) => out.names[f.name]), ['licence-utilisation']);
  assert.deepEqual(blank, { tag: 'err', val: { tag: 'missing-data', val: 'seats-purchased is blank or zero' } });
});

test('the metadata declares what the rules read', () => {
  assert.deepEqual(metadata(rules, 'health-model').reads.current.fields, ['seats-purchased', 'seats-active']);
});
