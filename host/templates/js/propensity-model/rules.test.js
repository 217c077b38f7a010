import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError } from '../src/rules.js';
import { account } from './fixtures.js';

test('propensity rises with utilisation above the floor', () => {
  const config = parseConfig('{}');
  assert.equal(evaluate(config, 20454, account({ seatsPurchased: 10, seatsActive: 10 })).score, 1);
  assert.equal(evaluate(config, 20454, account({ seatsPurchased: 10, seatsActive: 5 })).score, 0);
});

test('blank seats are missing data', () => {
  assert.throws(() => evaluate(parseConfig('{}'), 20454, account({})), AccountError);
});
