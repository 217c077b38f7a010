import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError } from '../src/rules.js';
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
