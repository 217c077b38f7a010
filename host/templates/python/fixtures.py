"""Test accounts shaped as vitals_sdk presents a batch's accounts to the rules."""

from vitals_sdk import FIELD_NAMES, Account, Attributes, Snapshot

ATTRIBUTE_FIELDS = ["name", "owner", "tier", "plan", "start_date", "renewal_date", "contract_arr", "renewal_confidence"]


def account(id="acme", as_of=20454, health=(), history=(), metrics=None, **given):
    """An account with every measure blank but those given (snapshot or
    attribute fields, `metrics` as a dict, earlier snapshots and health points)."""
    snapshot = {f: given.pop(f) for f in FIELD_NAMES if f in given}
    attributes = {f: given.pop(f) for f in ATTRIBUTE_FIELDS if f in given}
    if given:
        raise TypeError(f"unknown fields: {sorted(given)}")
    return Account(
        id=id,
        attributes=Attributes(**attributes),
        current=Snapshot(as_of=as_of, metrics=dict(metrics or {}), **snapshot),
        history=list(history),
        health=list(health),
    )
