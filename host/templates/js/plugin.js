// The component's entry point: the `{{iface}}` export of the {{kind}} world.
// `vitals plugin build` turns it into a component; the rules live in
// ./rules.js, which Node's test runner imports directly, and ./vitals.js turns
// the contract's columnar batch into account objects and the rules' results
// back. You rarely edit this.
import { log } from 'vitals:plugin/log@0.2.0';
import * as rules from './rules.js';
import * as vitals from './vitals.js';

const KIND = '{{kind}}';

export const {{iface}} = {
  metadata: () => vitals.metadata(rules, KIND),
  project: (configText) => vitals.project(rules, configText),
  {{func}}: (configText, asOf, accounts) => vitals.run(rules, KIND, configText, asOf, accounts, (message) => log('info', message)),
};
