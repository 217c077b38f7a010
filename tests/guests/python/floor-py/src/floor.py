"""floor-py: what a Python plugin pays to receive accounts under contract
0.2 (`vitals-bench languages`). It reads everything the host keeps (every
attribute, label, field and metric, all history and health) and touches
none of it: one constant score per account. Its 0.1 counterpart is the
hostile test guest in its well-behaved mode."""

from vitals_sdk import Band, Factor, Health

NAME = "floor-py"
VERSION = "0.1.0"
DESCRIPTION = "Receives whole accounts and scores each 50 (a benchmark floor)."
EVERYTHING = {"fields": "all", "metrics": "all"}
READS = {
    "attributes": [
        "name", "owner", "tier", "plan", "start-date", "renewal-date", "contract-arr", "renewal-confidence",
    ],
    "labels": "all",
    "current": EVERYTHING,
    "history": {"all": True, **EVERYTHING},
    "health": {"all": True},
}
CONFIG_SCHEMA = {"type": "object"}


def parse_config(text):
    return {}


def evaluate(config, as_of, account):
    return Health(score=50.0, band=Band.YELLOW, factors=[Factor(name="base", group="floor", value=50.0, weight=1.0, points=50.0)])
