"""A hostile Python health model for the end-to-end tests. The configuration
`{"mode": ..., "target": ...}` picks a misbehaviour, on every account or only
on the account whose id is `target`. Each mode's contract:

- `ok`: scores 50 (a factor `base` carries the points) with a factor `calls`
  counting calls into this instance (1: every call has a fresh instance);
- `loop`: loops for ever: fuel (or the deadline) stops it;
- `raise`: raises an uncaught exception naming the account: a trap that kills
  the instance; the retry names the account and the others are scored;
- `memory`: allocates without end: the memory limit stops it;
- `ambient`: reports what it sees of the world as factors (wall clock,
  environment size, random numbers, the string hash of a constant), to show
  clocks are frozen, the environment empty and randomness seeded.
"""

import json
import os
import random
import time

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports.types import Band, Factor, Health as Scored, PluginKind, PluginMetadata

CALLS = 0


def factor(name, value):
    return Factor(name=name, group="hostile", value=float(value), weight=0.0, points=0.0)


class Health(exports.Health):
    def metadata(self):
        return PluginMetadata(
            name="hostile-py",
            version="0.1.0",
            kind=PluginKind.HEALTH_MODEL,
            description="Misbehaves on purpose (tests only).",
            config_schema='{"type": "object"}',
            reads=[],
        )

    def score(self, config, as_of, accounts):
        global CALLS
        CALLS += 1
        settings = json.loads(config)
        mode = settings.get("mode", "ok")
        target = settings.get("target")
        results = []
        for account in accounts:
            hit = target is None or account.id == target
            base = Factor(name="base", group="hostile", value=50.0, weight=1.0, points=50.0)
            factors = [base, factor("calls", CALLS)]
            if hit and mode == "loop":
                n = 0
                while True:
                    n += 1
            elif hit and mode == "raise":
                raise ValueError(f"hostile exception on account {account.id}")
            elif hit and mode == "memory":
                hoard = []
                while True:
                    hoard.append(bytearray(1 << 20))
            elif hit and mode == "ambient":
                factors += [
                    factor("wall-clock-secs", time.time()),
                    factor("env-vars", len(os.environ)),
                    factor("random", random.random()),
                    factor("urandom", int.from_bytes(os.urandom(4), "little")),
                    factor("str-hash", hash("vitals") & 0xFFFFFFFF),
                ]
            results.append(Ok(Scored(score=50.0, band=Band.YELLOW, factors=factors)))
        return results
