// The component's entry point: the `segments` export, through the SDK
// shipped with the templates (./vitals.js links to it).
import * as floor from './floor.js';
import * as vitals from './vitals.js';

const KIND = 'segmenter';

export const segments = {
  metadata: () => vitals.metadata(floor, KIND),
  project: (configText) => vitals.project(floor, configText),
  assign: (configText, asOf, accounts) => vitals.run(floor, KIND, configText, asOf, accounts),
};
