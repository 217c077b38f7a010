// The component's entry point: the `segments` export of the segmenter world.
// The rules live in ./rules.js, which Node's test runner imports directly;
// ./vitals.js turns the contract's columnar batch into account objects and
// the rules' segments back.
import { log } from 'vitals:plugin/log@0.2.0';
import * as rules from './rules.js';
import * as vitals from './vitals.js';

const KIND = 'segmenter';
const plugin = { ...rules, evaluate: rules.assign };

export const segments = {
  metadata: () => vitals.metadata(plugin, KIND),
  project: (configText) => vitals.project(plugin, configText),
  assign: (configText, asOf, accounts) => vitals.run(plugin, KIND, configText, asOf, accounts, (message) => log('info', message)),
};
