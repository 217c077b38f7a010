"""{{name}}: a renewal forecaster. Gives each account a renewal probability,
its confidence tier and the basis in words; expected renewal ARR is the
probability times the contract value."""

from common import AccountError, parse_config as _parse
from vitals_sdk import Band, Confidence, Forecast
from wit_world.imports.types import PluginError_MissingData

NAME = "{{name}}"
VERSION = "0.1.0"
DESCRIPTION = "Renewal probability from the latest health band."
# What the rules read (vitals_sdk.projection): the contract's value and
# renewal date, and the latest earlier health score.
READS = {"attributes": ["contract-arr", "renewal-date"], "health": {"latest": 1}}
DEFAULTS = {"healthy": 0.9, "at_risk": 0.4}
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "healthy": {"description": "Renewal probability of a Green or Yellow account.", "type": "number", "minimum": 0, "maximum": 1},
        "at_risk": {"description": "Renewal probability of a Red account.", "type": "number", "minimum": 0, "maximum": 1},
    },
    "additionalProperties": False,
}

def parse_config(text):
    return _parse(text, DEFAULTS)


def evaluate(config, as_of, account):
    arr = account.attributes.contract_arr
    if arr is None:
        raise AccountError(PluginError_MissingData("contract-arr is blank"))
    latest = account.health[-1] if account.health else None
    if latest is not None and latest.band == Band.RED:
        p, tier, basis = config["at_risk"], Confidence.PIPELINE, f"health Red ({latest.score:.0f})"
    else:
        p, tier, basis = config["healthy"], Confidence.BEST_CASE, "health not Red"
    return Forecast(
        renewal_probability=p,
        confidence=tier,
        basis=f"{basis}: {p:.0%} x contract {arr:.0f}",
        renewal_date=account.attributes.renewal_date,
        expected_renewal_arr=p * arr,
        expected_expansion_arr=0.0,
        expected_contraction_arr=0.0,
    )
