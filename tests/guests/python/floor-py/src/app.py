"""The component's entry point: the `health` export, through the SDK
shipped with the templates (`src/vitals_sdk.py` links to it)."""

import floor
import vitals_sdk
from wit_world import exports
from wit_world.imports.types import PluginKind

KIND = PluginKind.HEALTH_MODEL


class Health(exports.Health):
    def metadata(self):
        return vitals_sdk.metadata(floor, KIND)

    def project(self, config):
        return vitals_sdk.project(floor, config)

    def score(self, config, as_of, accounts):
        return vitals_sdk.run(floor, KIND, config, as_of, accounts)
