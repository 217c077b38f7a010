"""{{name}}: an expansion-propensity model. Scores each account 0-1; its
drivers' contributions add up to the score."""

from common import AccountError, parse_config as _parse, ratio
from vitals_sdk import Driver, Propensity
from wit_world.imports.types import PluginError_MissingData

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Expansion propensity from licence utilisation above a floor."
# What the rules read (vitals_sdk.projection): only these fields of the
# current snapshot are sent.
READS = {"current": {"fields": ["seats-purchased", "seats-active"]}}
DEFAULTS = {"floor": 0.5}
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "floor": {"description": "Utilisation (0-1) at which propensity starts above 0.", "type": "number", "minimum": 0, "maximum": 0.99},
    },
    "additionalProperties": False,
}

def parse_config(text):
    return _parse(text, DEFAULTS)


def evaluate(config, as_of, account):
    used = ratio(account.current.seats_active, account.current.seats_purchased)
    if used is None:
        raise AccountError(PluginError_MissingData("seats-purchased is blank or zero"))
    score = max(0.0, min(1.0, (used - config["floor"]) / (1.0 - config["floor"])))
    driver = Driver(name="licence-utilisation", value=used, contribution=score)
    return Propensity(score=score, drivers=[driver])
