// The component's entry point: the `{{iface}}` export of the {{kind}} world.
// `vitals plugin build` turns it into a component; the rules live in
// ./rules.js, which Node's test runner imports directly. You rarely edit this.
import { log } from 'vitals:plugin/log@0.1.0';
import * as rules from './rules.js';

export const {{iface}} = {
  metadata() {
    return {
      name: rules.NAME,
      version: rules.VERSION,
      kind: '{{kind}}',
      description: rules.DESCRIPTION,
      configSchema: JSON.stringify(rules.CONFIG_SCHEMA),
      reads: rules.READS,
    };
  },

  {{func}}(configText, asOf, accounts) {
    let config;
    try {
      config = rules.parseConfig(configText);
    } catch (e) {
      // A thrown plugin-error fails the whole call: the configuration is
      // wrong for every account.
      throw { tag: 'invalid-config', val: e.message };
    }
    let failed = 0;
    const results = accounts.map((account) => {
      try {
        return { tag: 'ok', val: rules.evaluate(config, asOf, account) };
      } catch (e) {
        if (!(e instanceof rules.AccountError)) throw e;
        failed += 1;
        return { tag: 'err', val: { tag: e.code, val: e.message } };
      }
    });
    if (failed > 0) log('info', `${failed} of ${accounts.length} accounts had no result`);
    return results;
  },
};
