"""The component's entry point: the `health` export of the health-model world.

componentize-py builds this module (`entry` in vitals-plugin.toml); the
scoring rules live in `adoption.py`, plain Python the unit tests import.
"""

import json

import adoption
from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.types import PluginKind, PluginMetadata


class Health(exports.Health):
    def metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=adoption.NAME,
            version=adoption.VERSION,
            kind=PluginKind.HEALTH_MODEL,
            description=adoption.DESCRIPTION,
            config_schema=json.dumps(adoption.CONFIG_SCHEMA, sort_keys=True),
            reads=list(adoption.READS),
        )

    def score(self, config, as_of, accounts):
        try:
            settings = adoption.parse_config(config)
        except adoption.ConfigError as e:
            # Raising Err fails the whole call: the configuration is wrong for every account.
            raise Err(adoption.invalid_config(str(e)))
        results = []
        for account in accounts:
            try:
                results.append(Ok(adoption.score(settings, account)))
            except adoption.AccountError as e:
                results.append(Err(e.error))
        failed = sum(1 for r in results if isinstance(r, Err))
        if failed:
            log.log(log.Level.INFO, f"{failed} of {len(accounts)} accounts not scored")
        return results
