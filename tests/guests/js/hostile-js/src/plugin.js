// A hostile JavaScript segmenter for the end-to-end tests. The configuration
// `{"mode": ..., "target": ...}` picks a misbehaviour, on every account or
// only on the account whose id is `target`. Each mode's contract:
// - `ok`: one segment `calls-N`, N counting calls into this instance;
// - `loop`: loops for ever: fuel (or the deadline) stops it;
// - `throw`: throws an Error naming the account: a trap that kills the
//   instance; the retry names the account and the others are placed;
// - `memory`: allocates without end: the memory limit stops it;
// - `ambient`: reports Date.now() and Math.random() in the reason, to show
//   the clock is frozen and randomness seeded.
let calls = 0;

export const segments = {
  metadata() {
    return {
      name: 'hostile-js',
      version: '0.1.0',
      kind: 'segmenter',
      description: 'Misbehaves on purpose (tests only).',
      configSchema: '{"type": "object"}',
      reads: [],
    };
  },
  assign(configText, asOf, accounts) {
    calls += 1;
    const { mode = 'ok', target } = JSON.parse(configText);
    return accounts.map((account) => {
      const hit = target === undefined || account.id === target;
      if (hit && mode === 'loop') {
        let n = 0;
        for (;;) n += 1;
      }
      if (hit && mode === 'throw') throw new Error(`hostile exception on account ${account.id}`);
      if (hit && mode === 'memory') {
        const hoard = [];
        for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
      }
      const segments = [{ name: `calls-${calls}`, reason: 'calls into this instance' }];
      if (hit && mode === 'ambient') {
        segments.push({ name: 'ambient', reason: `now ${Date.now()} random ${Math.random()}` });
      }
      return { tag: 'ok', val: segments };
    });
  },
};
