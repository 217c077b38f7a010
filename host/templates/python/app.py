"""The component's entry point: the `{{iface}}` export of the {{kind}} world.

`vitals plugin build` turns this module into a component; the rules live in
`rules.py`, plain Python that the unit tests import. You rarely edit this file.
"""

import json

import rules
from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.types import PluginKind, PluginMetadata


class {{Class}}(exports.{{Class}}):
    def metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=rules.NAME,
            version=rules.VERSION,
            kind=PluginKind.{{KIND}},
            description=rules.DESCRIPTION,
            config_schema=json.dumps(rules.CONFIG_SCHEMA, sort_keys=True),
            reads=list(rules.READS),
        )

    def {{func}}(self, config, as_of, accounts):
        try:
            settings = rules.parse_config(config)
        except rules.ConfigError as e:
            # Raising Err fails the whole call: the configuration is wrong for every account.
            raise Err(rules.invalid_config(str(e)))
        results = []
        for account in accounts:
            try:
                results.append(Ok(rules.evaluate(settings, as_of, account)))
            except rules.AccountError as e:
                results.append(Err(e.error))
        failed = sum(1 for r in results if isinstance(r, Err))
        if failed:
            log.log(log.Level.INFO, f"{failed} of {len(accounts)} accounts had no result")
        return results
