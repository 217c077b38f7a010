"""The component's entry point: the `health` export of the health-model world.

componentize-py builds this module (`entry` in vitals-plugin.toml); the
scoring rules live in `adoption.py`, plain Python the unit tests import, and
`vitals_sdk.py` turns the contract's columnar batch into account objects and
the rules' results back.
"""

import adoption
import vitals_sdk
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.types import PluginKind

KIND = PluginKind.HEALTH_MODEL


def _info(message):
    log.log(log.Level.INFO, message)


class Health(exports.Health):
    def metadata(self):
        return vitals_sdk.metadata(adoption, KIND)

    def project(self, config):
        return vitals_sdk.project(adoption, config)

    def score(self, config, as_of, accounts):
        return vitals_sdk.run(adoption, KIND, config, as_of, accounts, log=_info)
