// {{name}}: a renewal forecaster. Gives each account a renewal probability,
// its confidence tier and the basis in words; expected renewal ARR is the
// probability times the contract value.
import { AccountError, ConfigError, isBlank, parseConfigWith } from './common.js';
export { AccountError, ConfigError };

export const NAME = '{{name}}';
export const VERSION = '0.1.0';
export const DESCRIPTION = 'Renewal probability from the latest health band.';
// What the rules read (vitals.js `projection`): the contract's value and
// renewal date, and the latest earlier health score.
export const READS = { attributes: ['contract-arr', 'renewal-date'], health: { latest: 1 } };
const DEFAULTS = { healthy: 0.9, at_risk: 0.4 };
export const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    healthy: { description: 'Renewal probability of a green or yellow account.', type: 'number', minimum: 0, maximum: 1 },
    at_risk: { description: 'Renewal probability of a red account.', type: 'number', minimum: 0, maximum: 1 },
  },
  additionalProperties: false,
};

export const parseConfig = (text) => parseConfigWith(text, DEFAULTS);

export function evaluate(config, asOf, account) {
  const arr = account.attributes.contractArr;
  if (isBlank(arr)) throw new AccountError('missing-data', 'contract-arr is blank');
  const latest = account.health.length > 0 ? account.health[account.health.length - 1] : undefined;
  const red = latest !== undefined && latest.band === 'red';
  const p = red ? config.at_risk : config.healthy;
  return {
    renewalProbability: p,
    confidence: red ? 'pipeline' : 'best-case',
    basis: `${red ? `health red (${Math.round(latest.score)})` : 'health not red'}: ${Math.round(p * 100)}% x contract ${Math.round(arr)}`,
    renewalDate: account.attributes.renewalDate,
    expectedRenewalArr: p * arr,
    expectedExpansionArr: 0,
    expectedContractionArr: 0,
  };
}
