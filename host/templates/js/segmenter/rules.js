// {{name}}: a segmenter. Places each account in zero or more segments, each
// with the reason and the figures used.
import { AccountError, ConfigError, parseConfigWith, ratio } from './common.js';
export { AccountError, ConfigError };

export const NAME = '{{name}}';
export const VERSION = '0.1.0';
export const DESCRIPTION = 'Expansion-ready accounts: licence utilisation at or above a threshold.';
// What the rules read (vitals.js `projection`): only these fields of the
// current snapshot are sent.
export const READS = { current: { fields: ['seats-purchased', 'seats-active'] } };
const DEFAULTS = { expansion_utilisation: 0.8 };
export const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    expansion_utilisation: {
      description: 'Utilisation (0-1) from which an account is expansion-ready.',
      type: 'number',
      minimum: 0,
      maximum: 1,
    },
  },
  additionalProperties: false,
};

export const parseConfig = (text) => parseConfigWith(text, DEFAULTS);

export function evaluate(config, asOf, account) {
  const segments = [];
  const used = ratio(account.current.seatsActive, account.current.seatsPurchased);
  if (used !== undefined && used >= config.expansion_utilisation) {
    const pct = (x) => `${Math.round(x * 100)}%`;
    segments.push({ name: 'expansion-ready', reason: `${pct(used)} of seats active (>= ${pct(config.expansion_utilisation)})` });
  }
  return segments;
}
