"""{{name}}: a segmenter. Places each account in zero or more segments, each
with the reason and the figures used."""

from common import AccountError, ConfigError, invalid_config, parse_config as _parse, ratio
from wit_world.imports.types import Segment

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Expansion-ready accounts: licence utilisation at or above a threshold."
READS = ["seats-purchased", "seats-active"]
DEFAULTS = {"expansion_utilisation": 0.8}
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "expansion_utilisation": {
            "description": "Utilisation (0-1) from which an account is expansion-ready.",
            "type": "number",
            "minimum": 0,
            "maximum": 1,
        },
    },
    "additionalProperties": False,
}

__all__ = ["AccountError", "ConfigError", "invalid_config"]


def parse_config(text):
    return _parse(text, DEFAULTS)


def evaluate(config, as_of, account):
    segments = []
    used = ratio(account.current.seats_active, account.current.seats_purchased)
    if used is not None and used >= config["expansion_utilisation"]:
        segments.append(
            Segment(
                name="expansion-ready",
                reason=f"{used:.0%} of seats active (>= {config['expansion_utilisation']:.0%})",
            )
        )
    return segments
