"""The component's entry point: the `{{iface}}` export of the {{kind}} world.

`vitals plugin build` turns this module into a component; the rules live in
`rules.py`, plain Python that the unit tests import, and `vitals_sdk.py`
turns the contract's columnar batch into account objects and the rules'
results back. You rarely edit this file.
"""

import rules
import vitals_sdk
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.types import PluginKind

KIND = PluginKind.{{KIND}}


def _info(message):
    log.log(log.Level.INFO, message)


class {{Class}}(exports.{{Class}}):
    def metadata(self):
        return vitals_sdk.metadata(rules, KIND)

    def project(self, config):
        return vitals_sdk.project(rules, config)

    def {{func}}(self, config, as_of, accounts):
        return vitals_sdk.run(rules, KIND, config, as_of, accounts, log=_info)
