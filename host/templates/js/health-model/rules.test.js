import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, AccountError, ConfigError } from '../src/rules.js';
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
