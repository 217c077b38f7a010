"""{{name}}: an expansion-propensity model. Scores each account 0-1; its
drivers' contributions add up to the score."""

from common import AccountError, ConfigError, invalid_config, parse_config as _parse, ratio
from wit_world.imports.types import Driver, PluginError_MissingData, Propensity

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Expansion propensity from licence utilisation above a floor."
READS = ["seats-purchased", "seats-active"]
DEFAULTS = {"floor": 0.5}
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "floor": {"description": "Utilisation (0-1) at which propensity starts above 0.", "type": "number", "minimum": 0, "maximum": 0.99},
    },
    "additionalProperties": False,
}

__all__ = ["AccountError", "ConfigError", "invalid_config"]


def parse_config(text):
    return _parse(text, DEFAULTS)


def evaluate(config, as_of, account):
    used = ratio(account.current.seats_active, account.current.seats_purchased)
    if used is None:
        raise AccountError(PluginError_MissingData("seats-purchased is blank or zero"))
    score = max(0.0, min(1.0, (used - config["floor"]) / (1.0 - config["floor"])))
    driver = Driver(name="licence-utilisation", value=used, contribution=score)
    return Propensity(score=score, drivers=[driver])
