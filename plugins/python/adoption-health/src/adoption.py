"""adoption-health: a customer health model written in Python.

Scores account health 0-100 on product adoption and its momentum, for teams
that judge health by how a customer's use of the product is moving:

- usage: licence utilisation, logins per active seat, feature breadth;
- momentum: change of active seats and of logins since the oldest snapshot
  within `trend_days` (a shrinking account is at risk before it is idle);
- support: open tickets per ten seats, high-severity tickets;
- feedback: NPS and CSAT;
- account-changes: champion left, late payments.

Each measure becomes a 0-100 sub-score by a linear ramp from its worst to its
best value. A measure's weight is its group's weight shared equally by the
group's measures; measures blank for an account are dropped and the rest
renormalised, so the factors' points always add up to the score. Bands come
from `red_below` / `yellow_below`, overridable per account tier.

This module is plain Python over the accounts `vitals_sdk` presents (no host
calls), so it runs in the component and under `python -m unittest` alike.
"""

import json
import math

from vitals_sdk import AccountError, Band, ConfigError, Factor, Health
from wit_world.imports.types import PluginError_InvalidInput, PluginError_MissingData

NAME = "adoption-health"
VERSION = "0.1.0"
DESCRIPTION = (
    "Health from product adoption and its momentum (usage, change of active seats "
    "and logins over time, support, feedback, account changes), with per-tier bands."
)

GROUPS = ["usage", "momentum", "support", "feedback", "account-changes"]

# (measure, group, worst value, best value): the ramp of each sub-score.
MEASURES = [
    ("licence-utilisation", "usage", 0.2, 0.9),
    ("logins-per-seat", "usage", 2.0, 20.0),
    ("feature-breadth", "usage", 0.1, 0.6),
    ("active-seats-trend", "momentum", -0.3, 0.2),
    ("logins-trend", "momentum", -0.5, 0.3),
    ("tickets-per-10-seats", "support", 5.0, 0.0),
    ("tickets-high-severity", "support", 3.0, 0.0),
    ("nps", "feedback", 0.0, 10.0),
    ("csat", "feedback", 40.0, 95.0),
    ("champion-left", "account-changes", 1.0, 0.0),
    ("late-payments", "account-changes", 3.0, 0.0),
]

DEFAULTS = {
    "red_below": 45.0,
    "yellow_below": 70.0,
    "weights": {
        "usage": 0.4,
        "momentum": 0.2,
        "support": 0.15,
        "feedback": 0.15,
        "account-changes": 0.1,
    },
    "trend_days": 180,
    "min_measures": 3,
    "tiers": {},
}

# The current snapshot's fields the measures read.
CURRENT_FIELDS = [
    "seats-purchased",
    "seats-active",
    "logins",
    "features-used",
    "features-available",
    "tickets-open",
    "tickets-high-severity",
    "nps",
    "csat",
    "champion-left",
    "late-payments",
]


def project(config):
    """What the rules read: the current snapshot's measures, the account's
    tier, and active seats and logins back to `trend_days` (the window also
    holds the snapshot before it, which `_trend` leaves out)."""
    return {
        "attributes": ["tier"],
        "current": {"fields": CURRENT_FIELDS},
        "history": {"days": config["trend_days"], "fields": ["seats-active", "logins"]},
    }


# What the rules read under the default configuration (the metadata's reads).
READS = project(DEFAULTS)


_BANDS = {
    "type": "object",
    "properties": {
        "red_below": {"type": "number", "minimum": 0, "maximum": 100},
        "yellow_below": {"type": "number", "minimum": 0, "maximum": 100},
    },
    "additionalProperties": False,
}

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "adoption-health configuration",
    "type": "object",
    "properties": {
        "red_below": {
            "description": "Scores below this are Red.",
            "type": "number",
            "minimum": 0,
            "maximum": 100,
        },
        "yellow_below": {
            "description": "Scores below this (and not Red) are Yellow; the rest Green.",
            "type": "number",
            "minimum": 0,
            "maximum": 100,
        },
        "weights": {
            "description": "Weight of each group; groups left out keep their default.",
            "type": "object",
            "properties": {g: {"type": "number", "minimum": 0} for g in GROUPS},
            "additionalProperties": False,
        },
        "trend_days": {
            "description": "Momentum compares with the oldest snapshot at most this many days old.",
            "type": "integer",
            "minimum": 1,
        },
        "min_measures": {
            "description": "Fewer measures present than this is missing data, not a score.",
            "type": "integer",
            "minimum": 1,
        },
        "tiers": {
            "description": "Band thresholds per account tier (for example enterprise).",
            "type": "object",
            "additionalProperties": _BANDS,
        },
    },
    "additionalProperties": False,
}


def parse_config(text):
    """The configuration with defaults filled in, checked field by field."""
    try:
        given = json.loads(text) if text.strip() else {}
    except ValueError as e:
        raise ConfigError(f"not JSON: {e}") from None
    if not isinstance(given, dict):
        raise ConfigError("the configuration must be a JSON object")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown field {unknown[0]}")
    config = dict(DEFAULTS)
    config.update(given)
    weights = dict(DEFAULTS["weights"])
    for group, weight in (given.get("weights") or {}).items():
        if group not in weights:
            raise ConfigError(f"weights/{group}: not a group ({', '.join(GROUPS)})")
        if not _number(weight) or weight < 0:
            raise ConfigError(f"weights/{group}: must be a number >= 0")
        weights[group] = float(weight)
    if sum(weights.values()) <= 0:
        raise ConfigError("weights: at least one group needs a weight above 0")
    config["weights"] = weights
    _check_bands("", config)
    for tier, bands in config["tiers"].items():
        if not isinstance(bands, dict):
            raise ConfigError(f"tiers/{tier}: must be an object")
        _check_bands(f"tiers/{tier}/", {**_bands(config), **bands})
    for field in ("trend_days", "min_measures"):
        if not isinstance(config[field], int) or config[field] < 1:
            raise ConfigError(f"{field}: must be an integer >= 1")
    return config


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _bands(config):
    return {"red_below": config["red_below"], "yellow_below": config["yellow_below"]}


def _check_bands(at, bands):
    for field in ("red_below", "yellow_below"):
        if not _number(bands[field]) or not 0 <= bands[field] <= 100:
            raise ConfigError(f"{at}{field}: must be a number from 0 to 100")
    if bands["red_below"] > bands["yellow_below"]:
        raise ConfigError(
            f"{at}red_below ({bands['red_below']}) must not exceed "
            f"yellow_below ({bands['yellow_below']})"
        )


def _ratio(part, whole):
    if part is None or not whole:
        return None
    return part / whole


def _trend(account, config, field):
    """Relative change of a snapshot field since the oldest snapshot in the window."""
    now = getattr(account.current, field)
    oldest = None
    for s in account.history:  # oldest first
        if account.current.as_of - s.as_of <= config["trend_days"] and getattr(s, field) is not None:
            oldest = getattr(s, field)
            break
    if now is None or oldest is None or oldest == 0:
        return None
    return (now - oldest) / oldest


def measure_values(account, config):
    """Every measure's value for the account (None where the data is blank)."""
    s = account.current
    champion = None if s.champion_left is None else (1.0 if s.champion_left else 0.0)
    per_10 = _ratio(s.tickets_open, s.seats_purchased)
    return {
        "licence-utilisation": _ratio(s.seats_active, s.seats_purchased),
        "logins-per-seat": _ratio(s.logins, s.seats_active),
        "feature-breadth": _ratio(s.features_used, s.features_available),
        "active-seats-trend": _trend(account, config, "seats_active"),
        "logins-trend": _trend(account, config, "logins"),
        "tickets-per-10-seats": None if per_10 is None else per_10 * 10,
        "tickets-high-severity": s.tickets_high_severity,
        "nps": s.nps,
        "csat": s.csat,
        "champion-left": champion,
        "late-payments": s.late_payments,
    }


def sub_score(value, worst, best):
    """0 at `worst`, 100 at `best`, linear between and clamped."""
    t = (value - worst) / (best - worst)
    return 100.0 * min(1.0, max(0.0, t))


def band_for(score, bands):
    if score < bands["red_below"]:
        return Band.RED
    if score < bands["yellow_below"]:
        return Band.YELLOW
    return Band.GREEN


def evaluate(config, as_of, account):
    """What vitals_sdk.run calls for each account of a batch."""
    return score(config, account)


def score(config, account):
    """The explained health of one account, or raises AccountError."""
    s = account.current
    if s.seats_active is not None and s.seats_purchased is not None and s.seats_active > s.seats_purchased:
        raise AccountError(
            PluginError_InvalidInput(
                f"seats-active {s.seats_active} exceeds seats-purchased {s.seats_purchased}"
            )
        )
    values = measure_values(account, config)
    present = [(m, g, w, b) for (m, g, w, b) in MEASURES if values[m] is not None]
    if len(present) < config["min_measures"]:
        missing = [m for (m, _, _, _) in MEASURES if values[m] is None]
        raise AccountError(
            PluginError_MissingData(
                f"{len(present)} of {len(MEASURES)} measures present, {config['min_measures']} "
                f"needed; blank: {', '.join(missing)}"
            )
        )
    per_group = {g: sum(1 for (_, mg, _, _) in MEASURES if mg == g) for g in GROUPS}
    raw = {m: config["weights"][g] / per_group[g] for (m, g, _, _) in present}
    total = sum(raw.values())
    if total <= 0:
        raise AccountError(
            PluginError_MissingData("every measure present is in a group weighted 0")
        )
    factors = []
    for measure, group, worst, best in present:
        weight = raw[measure] / total
        value = float(values[measure])
        factors.append(
            Factor(
                name=measure,
                group=group,
                value=value,
                weight=weight,
                points=weight * sub_score(value, worst, best),
            )
        )
    total_points = min(100.0, max(0.0, sum(f.points for f in factors)))
    bands = {**_bands(config), **config["tiers"].get(account.attributes.tier or "", {})}
    return Health(score=total_points, band=band_for(total_points, bands), factors=factors)
