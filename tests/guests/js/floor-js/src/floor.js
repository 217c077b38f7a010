// floor-js: what a QuickJS plugin pays to receive accounts under contract
// 0.2 (`vitals-bench languages`). It reads everything the host keeps (every
// attribute, label, field and metric, all history and health) and touches
// none of it: no segment for any account. Its 0.1 counterpart is the
// hostile test guest in its well-behaved mode.
export const NAME = 'floor-js';
export const VERSION = '0.1.0';
export const DESCRIPTION = 'Receives whole accounts and places none in a segment (a benchmark floor).';
const EVERYTHING = { fields: 'all', metrics: 'all' };
export const READS = {
  attributes: ['name', 'owner', 'tier', 'plan', 'start-date', 'renewal-date', 'contract-arr', 'renewal-confidence'],
  labels: 'all',
  current: EVERYTHING,
  history: { all: true, ...EVERYTHING },
  health: { all: true },
};
export const CONFIG_SCHEMA = { type: 'object' };

export function parseConfig() {
  return {};
}

export function evaluate() {
  return [];
}
