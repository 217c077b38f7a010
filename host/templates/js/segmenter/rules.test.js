import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseConfig, ConfigError } from '../src/rules.js';
import * as rules from '../src/rules.js';
import { batchOf, metadata, run } from '../src/vitals.js';
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

test('a batch gets one result per account through the SDK, names in a table', () => {
  const batch = batchOf([account({ seatsPurchased: 10, seatsActive: 9 }), { ...account({ seatsPurchased: 10 }), id: 'idle' }]);
  const out = run(rules, 'segmenter', '{}', 20454, batch);
  const [ready, idle] = out.results;
  assert.deepEqual(ready.val.map((s) => out.names[s.name]), ['expansion-ready']);
  assert.deepEqual(idle, { tag: 'ok', val: [] });
});

test('the metadata declares what the rules read', () => {
  assert.deepEqual(metadata(rules, 'segmenter').reads.current.fields, ['seats-purchased', 'seats-active']);
});
