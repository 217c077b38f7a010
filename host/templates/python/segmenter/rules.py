"""{{name}}: a segmenter. Places each account in zero or more segments, each
with the reason and the figures used."""

from common import parse_config as _parse, ratio
from vitals_sdk import Segment

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Expansion-ready accounts: licence utilisation at or above a threshold."
# What the rules read (vitals_sdk.projection): only these fields of the
# current snapshot are sent.
READS = {"current": {"fields": ["seats-purchased", "seats-active"]}}
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
