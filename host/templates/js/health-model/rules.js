// {{name}}: a health model. Scores each account 0-100 from licence
// utilisation and maps the score to green / yellow / red. Add measures by
// adding factors: their points must add up to the score.
import { AccountError, ConfigError, parseConfigWith, ratio } from './common.js';
export { AccountError, ConfigError };

export const NAME = '{{name}}';
export const VERSION = '0.1.0';
export const DESCRIPTION = 'Health from licence utilisation (seats active / purchased).';
// What the rules read (vitals.js `projection`): only these fields of the
// current snapshot are sent. Export a `project(config)` returning such an
// object when what you read depends on the configuration.
export const READS = { current: { fields: ['seats-purchased', 'seats-active'] } };
const DEFAULTS = { red_below: 50, yellow_below: 75 };
export const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    red_below: { description: 'Scores below this are Red.', type: 'number', minimum: 0, maximum: 100 },
    yellow_below: { description: 'Scores below this are Yellow.', type: 'number', minimum: 0, maximum: 100 },
  },
  additionalProperties: false,
};

export function parseConfig(text) {
  const config = parseConfigWith(text, DEFAULTS);
  if (config.red_below > config.yellow_below) throw new ConfigError('red_below must not exceed yellow_below');
  return config;
}

export function evaluate(config, asOf, account) {
  const used = ratio(account.current.seatsActive, account.current.seatsPurchased);
  if (used === undefined) throw new AccountError('missing-data', 'seats-purchased is blank or zero');
  const score = Math.min(100, Math.max(0, used * 100));
  const band = score < config.red_below ? 'red' : score < config.yellow_below ? 'yellow' : 'green';
  const factor = { name: 'licence-utilisation', group: 'usage', value: used, weight: 1, points: score };
  return { score, band, factors: [factor] };
}
