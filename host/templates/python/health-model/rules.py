"""{{name}}: a health model. Scores each account 0-100 from licence
utilisation and maps the score to Green / Yellow / Red. Add measures by
adding factors: their points must add up to the score."""

from common import AccountError, ConfigError, parse_config as _parse, ratio
from vitals_sdk import Band, Factor, Health
from wit_world.imports.types import PluginError_MissingData

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Health from licence utilisation (seats active / purchased)."
# What the rules read (vitals_sdk.projection): only these fields of the
# current snapshot are sent. Add a `project(config)` returning such a dict when
# what you read depends on the configuration.
READS = {"current": {"fields": ["seats-purchased", "seats-active"]}}
DEFAULTS = {"red_below": 50.0, "yellow_below": 75.0}
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "red_below": {"description": "Scores below this are Red.", "type": "number", "minimum": 0, "maximum": 100},
        "yellow_below": {"description": "Scores below this are Yellow.", "type": "number", "minimum": 0, "maximum": 100},
    },
    "additionalProperties": False,
}

def parse_config(text):
    config = _parse(text, DEFAULTS)
    if config["red_below"] > config["yellow_below"]:
        raise ConfigError("red_below must not exceed yellow_below")
    return config


def evaluate(config, as_of, account):
    used = ratio(account.current.seats_active, account.current.seats_purchased)
    if used is None:
        raise AccountError(PluginError_MissingData("seats-purchased is blank or zero"))
    score = max(0.0, min(100.0, used * 100.0))
    band = Band.RED if score < config["red_below"] else Band.YELLOW if score < config["yellow_below"] else Band.GREEN
    factor = Factor(name="licence-utilisation", group="usage", value=used, weight=1.0, points=score)
    return Health(score=score, band=band, factors=[factor])
