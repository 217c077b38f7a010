// Builds one JavaScript plugin into a component. Called by vitals-polyglot-build
// (and so by `vitals plugin build`) as
//   node componentize.mjs ENGINE WIT_DIR WORLD ENTRY_FILE OUT_FILE [ROOT]
// with ENGINE `quickjs` or `starlingmonkey`, and ROOT the folder the entry
// may import modules from (default: the entry's folder).
//
// It calls the libraries' APIs rather than `jco componentize`: the jco
// command could not read a WIT folder through its bundled WASI shim.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve, dirname } from 'node:path';

const [engine, witPath, world, entry, out, root] = process.argv.slice(2);
if (!out) {
  console.error('usage: node componentize.mjs quickjs|starlingmonkey WIT_DIR WORLD ENTRY OUT');
  process.exit(2);
}
const sourcePath = resolve(entry);

let component;
if (engine === 'starlingmonkey') {
  const { componentize } = await import('@bytecodealliance/componentize-js');
  // No fetch: plugins have no network, and without these features the
  // component imports no wasi:http at all.
  ({ component } = await componentize({
    sourcePath,
    witPath: resolve(witPath),
    worldName: world,
    disableFeatures: ['http', 'fetch-event'],
  }));
} else if (engine === 'quickjs') {
  const { componentize } = await import('componentize-qjs');
  // `sync`: the host calls plugins synchronously (no component-model async).
  ({ component } = await componentize({
    witPath: resolve(witPath),
    jsSource: await readFile(sourcePath, 'utf8'),
    jsPath: sourcePath,
    moduleRoot: resolve(root ?? dirname(sourcePath)),
    world,
    sync: true,
  }));
} else {
  console.error(`unknown engine ${engine}: use quickjs or starlingmonkey`);
  process.exit(2);
}
await writeFile(out, component);
