import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError } from '../src/rules.js';
import * as rules from '../src/rules.js';
import { batchOf, metadata, run } from '../src/vitals.js';
import { account } from './fixtures.js';

test('propensity rises with utilisation above the floor', () => {
  const config = parseConfig('{}');
  assert.equal(evaluate(config, 20454, account({ seatsPurchased: 10, seatsActive: 10 })).score, 1);
  assert.equal(evaluate(config, 20454, account({ seatsPurchased: 10, seatsActive: 5 })).score, 0);
});

test('blank seats are missing data', () => {
  assert.throws(() => evaluate(parseConfig('{}'), 20454, account({})), AccountError);
});

test('a batch gets one result per account through the SDK, names in a table', () => {
  const batch = batchOf([account({ seatsPurchased: 10, seatsActive: 10 }), { ...account({}), id: 'blank' }]);
  const out = run(rules, 'propensity-model', '{}', 20454, batch);
  const [full, blank] = out.results;
  assert.equal(full.val.score, 1);
  assert.deepEqual(full.val.drivers.map((d) => out.names[d.name]), ['licence-utilisation']);
  assert.equal(blank.val.tag, 'missing-data');
});

test('the metadata declares what the rules read', () => {
  assert.deepEqual(metadata(rules, 'propensity-model').reads.current.fields, ['seats-purchased', 'seats-active']);
});
