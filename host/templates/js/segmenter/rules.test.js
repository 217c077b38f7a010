import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, ConfigError } from '../src/rules.js';
import { account } from './fixtures.js';

test('high utilisation is expansion-ready with its reason', () => {
  const segments = evaluate(parseConfig('{}'), 20454, account({ seatsPurchased: 10, seatsActive: 9 }));
  assert.deepEqual(segments.map((s) => s.name), ['expansion-ready']);
  assert.match(segments[0].reason, /90%/);
});

test('low utilisation is in no segment', () => {
  assert.deepEqual(evaluate(parseConfig('{}'), 20454, account({ seatsPurchased: 10, seatsActive: 2 })), []);
});

test('bad configuration names the field', () => {
  assert.throws(() => parseConfig('{"colour": 1}'), (e) => e instanceof ConfigError && e.message.includes('colour'));
});
