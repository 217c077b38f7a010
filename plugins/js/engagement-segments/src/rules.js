// engagement-segments: a lifecycle segmenter written in JavaScript.
//
// Places each account in the engagement and renewal segments a CS team
// works from, each with its reason and the figures used:
//
// | segment           | rule (defaults)                                                   |
// | ----------------- | ----------------------------------------------------------------- |
// | `power-users`     | logins per active seat >= 15 and feature breadth >= 50 %          |
// | `dormant`         | licence utilisation < 25 % or logins per purchased seat < 1       |
// | `champion-lost`   | the champion left since the previous snapshot                     |
// | `support-heavy`   | >= 5 open tickets or any high-severity ticket                     |
// | `detractor`       | latest NPS answer 0-6                                             |
// | `renewal-due`     | renewal date within 90 days                                       |
// | `renewal-at-risk` | renewal due and the latest health band is Red or Yellow, or, with |
// |                   | no health score, the account is dormant or lost its champion     |
//
// Plain JavaScript over the accounts ./vitals.js presents (camelCase fields,
// a blank value as undefined or null, enums as strings), with no host calls,
// so Node's test runner runs it as it is.
import { AccountError, ConfigError } from './vitals.js';
export { AccountError, ConfigError };

export const NAME = 'engagement-segments';
export const VERSION = '0.1.0';
export const DESCRIPTION =
  'Engagement and renewal segments: power users, dormant, champion lost, support-heavy, ' +
  'detractor, renewal due and renewal at risk, each with its reason and figures.';
// What the rules read (vitals.js `projection`): the current snapshot's
// measures, the renewal date and the latest health score.
export const READS = {
  attributes: ['renewal-date'],
  current: {
    fields: [
      'seats-purchased',
      'seats-active',
      'logins',
      'features-used',
      'features-available',
      'tickets-open',
      'tickets-high-severity',
      'nps',
      'champion-left',
    ],
  },
  health: { latest: 1 },
};
export const SEGMENTS = [
  'power-users',
  'dormant',
  'champion-lost',
  'support-heavy',
  'detractor',
  'renewal-due',
  'renewal-at-risk',
];

export const DEFAULTS = {
  power_logins_per_seat: 15,
  power_feature_breadth: 0.5,
  dormant_utilisation: 0.25,
  support_tickets: 5,
  renewal_window_days: 90,
  disabled: [],
};

export const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'engagement-segments configuration',
  type: 'object',
  properties: {
    power_logins_per_seat: {
      description: 'Logins per active seat (trailing 30 days) from which an account is a power user.',
      type: 'number',
      minimum: 0,
    },
    power_feature_breadth: {
      description: 'Share of available features used from which an account is a power user (0-1).',
      type: 'number',
      minimum: 0,
      maximum: 1,
    },
    dormant_utilisation: {
      description: 'Licence utilisation below which an account is dormant (0-1).',
      type: 'number',
      minimum: 0,
      maximum: 1,
    },
    support_tickets: {
      description: 'Open tickets from which an account is support-heavy.',
      type: 'integer',
      minimum: 1,
    },
    renewal_window_days: {
      description: 'A renewal within this many days is due.',
      type: 'integer',
      minimum: 0,
    },
    disabled: {
      description: 'Segments this tenant does not use.',
      type: 'array',
      items: { enum: SEGMENTS },
      uniqueItems: true,
    },
  },
  additionalProperties: false,
};

const isBlank = (v) => v === undefined || v === null;
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/** The configuration with defaults filled in, checked field by field. */
export function parseConfig(text) {
  let given;
  try {
    given = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not JSON: ${e.message}`);
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new ConfigError('the configuration must be a JSON object');
  }
  for (const field of Object.keys(given)) {
    if (!(field in DEFAULTS)) throw new ConfigError(`unknown field ${field}`);
  }
  const config = { ...DEFAULTS, ...given };
  for (const [field, max] of [
    ['power_logins_per_seat', Infinity],
    ['power_feature_breadth', 1],
    ['dormant_utilisation', 1],
  ]) {
    const v = config[field];
    if (!isNumber(v) || v < 0 || v > max) {
      throw new ConfigError(`${field}: must be a number ${max === Infinity ? '>= 0' : `from 0 to ${max}`}`);
    }
  }
  for (const [field, min] of [
    ['support_tickets', 1],
    ['renewal_window_days', 0],
  ]) {
    if (!Number.isInteger(config[field]) || config[field] < min) {
      throw new ConfigError(`${field}: must be an integer >= ${min}`);
    }
  }
  if (!Array.isArray(config.disabled)) throw new ConfigError('disabled: must be a list of segment names');
  for (const name of config.disabled) {
    if (!SEGMENTS.includes(name)) {
      throw new ConfigError(`disabled: ${JSON.stringify(name)} is not a segment (${SEGMENTS.join(', ')})`);
    }
  }
  return config;
}

const ratio = (part, whole) => (isBlank(part) || isBlank(whole) || whole === 0 ? undefined : part / whole);
const pct = (x) => `${Math.round(x * 100)} %`;
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** An account's segments (a list of {name, reason}), or throws AccountError. */
export function assign(config, asOf, account) {
  const s = account.current;
  if (!isBlank(s.seatsActive) && !isBlank(s.seatsPurchased) && s.seatsActive > s.seatsPurchased) {
    throw new AccountError('invalid-input', `seats-active ${s.seatsActive} exceeds seats-purchased ${s.seatsPurchased}`);
  }
  const found = [];
  const add = (name, reason) => {
    if (!config.disabled.includes(name)) found.push({ name, reason });
  };

  const perActiveSeat = ratio(s.logins, s.seatsActive);
  const breadth = ratio(s.featuresUsed, s.featuresAvailable);
  if (perActiveSeat !== undefined && breadth !== undefined &&
      perActiveSeat >= config.power_logins_per_seat && breadth >= config.power_feature_breadth) {
    add('power-users', `${num(perActiveSeat)} logins per active seat (>= ${num(config.power_logins_per_seat)}) ` +
      `and ${pct(breadth)} of features used (>= ${pct(config.power_feature_breadth)})`);
  }

  const utilisation = ratio(s.seatsActive, s.seatsPurchased);
  const perSeat = ratio(s.logins, s.seatsPurchased);
  let dormant = false;
  if (utilisation !== undefined && utilisation < config.dormant_utilisation) {
    dormant = true;
    add('dormant', `${s.seatsActive} of ${s.seatsPurchased} seats active (${pct(utilisation)}, below ${pct(config.dormant_utilisation)})`);
  } else if (perSeat !== undefined && perSeat < 1) {
    dormant = true;
    add('dormant', `${s.logins} logins over ${s.seatsPurchased} purchased seats in 30 days (under 1 a seat)`);
  }

  const championLost = s.championLeft === true;
  if (championLost) add('champion-lost', 'the champion left since the previous snapshot');

  if (!isBlank(s.ticketsHighSeverity) && s.ticketsHighSeverity > 0) {
    add('support-heavy', `${s.ticketsHighSeverity} high-severity ticket(s) open`);
  } else if (!isBlank(s.ticketsOpen) && s.ticketsOpen >= config.support_tickets) {
    add('support-heavy', `${s.ticketsOpen} tickets open (>= ${config.support_tickets})`);
  }

  if (!isBlank(s.nps) && s.nps <= 6) add('detractor', `NPS ${s.nps} (detractor: 0-6)`);

  const renewal = account.attributes.renewalDate;
  const days = isBlank(renewal) ? undefined : renewal - asOf;
  if (days !== undefined && days >= 0 && days <= config.renewal_window_days) {
    add('renewal-due', `renews in ${days} days (window ${config.renewal_window_days})`);
    const latest = account.health.length > 0 ? account.health[account.health.length - 1] : undefined;
    if (latest !== undefined) {
      if (latest.band === 'red' || latest.band === 'yellow') {
        add('renewal-at-risk', `renews in ${days} days with health ${latest.band} (${num(latest.score)})`);
      }
    } else if (dormant || championLost) {
      add('renewal-at-risk', `renews in ${days} days, no health score, and ${dormant ? 'dormant' : 'the champion left'}`);
    }
  }
  return found;
}
