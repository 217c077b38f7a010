import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError } from '../src/rules.js';
import * as rules from '../src/rules.js';
import { batchOf, metadata, run } from '../src/vitals.js';
import { account } from './fixtures.js';

test('a red account renews less likely', () => {
  const config = parseConfig('{}');
  const red = account({}, { contractArr: 1000 }, [{ asOf: 20454, score: 20, band: 'red' }]);
  assert.equal(evaluate(config, 20454, red).expectedRenewalArr, 400);
  assert.equal(evaluate(config, 20454, account({}, { contractArr: 1000 })).expectedRenewalArr, 900);
});

test('no contract value is missing data', () => {
  assert.throws(() => evaluate(parseConfig('{}'), 20454, account({})), AccountError);
});

test('a batch gets one result per account through the SDK', () => {
  const red = account({}, { contractArr: 1000, renewalDate: 20500 }, [{ asOf: 20440, score: 20, band: 'red' }]);
  const out = run(rules, 'forecaster', '{}', 20454, batchOf([red, { ...account({}), id: 'blank' }]));
  const [forecast, blank] = out.results;
  assert.equal(forecast.val.expectedRenewalArr, 400);
  assert.equal(forecast.val.renewalDate, 20500);
  assert.equal(blank.val.tag, 'missing-data');
});

test('the metadata declares what the rules read', () => {
  const reads = metadata(rules, 'forecaster').reads;
  assert.deepEqual(reads.attributes, ['contract-arr', 'renewal-date']);
  assert.deepEqual(reads.health, { tag: 'latest', val: 1 });
});
