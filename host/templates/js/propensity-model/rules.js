// {{name}}: an expansion-propensity model. Scores each account 0-1; its
// drivers' contributions add up to the score.
import { AccountError, ConfigError, parseConfigWith, ratio } from './common.js';
export { AccountError, ConfigError };

export const NAME = '{{name}}';
export const VERSION = '0.1.0';
export const DESCRIPTION = 'Expansion propensity from licence utilisation above a floor.';
// What the rules read (vitals.js `projection`): only these fields of the
// current snapshot are sent.
export const READS = { current: { fields: ['seats-purchased', 'seats-active'] } };
const DEFAULTS = { floor: 0.5 };
export const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    floor: { description: 'Utilisation (0-1) at which propensity starts above 0.', type: 'number', minimum: 0, maximum: 0.99 },
  },
  additionalProperties: false,
};

export const parseConfig = (text) => parseConfigWith(text, DEFAULTS);

export function evaluate(config, asOf, account) {
  const used = ratio(account.current.seatsActive, account.current.seatsPurchased);
  if (used === undefined) throw new AccountError('missing-data', 'seats-purchased is blank or zero');
  const score = Math.min(1, Math.max(0, (used - config.floor) / (1 - config.floor)));
  return { score, drivers: [{ name: 'licence-utilisation', value: used, contribution: score }] };
}
