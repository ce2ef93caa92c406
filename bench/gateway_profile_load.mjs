// Module loader hooks for bench/gateway_profile.mjs: lets Node import worker/src/index.js as
// workerd does, with its wasm, text and JSON modules (imported without attributes there).
import fs from 'node:fs';

let wasmOverride = null; // bench/gateway_profile.mjs --wasm: another build of the core (e.g. with names)

export async function initialize(data) {
  wasmOverride = data?.wasm ?? null;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  if (url.endsWith('.wasm')) {
    if (wasmOverride) url = new URL(`file://${wasmOverride}`).href;
    const source = `import fs from 'node:fs';\nexport default new WebAssembly.Module(fs.readFileSync(new URL(${JSON.stringify(url)})));\n`;
    return { format: 'module', source, shortCircuit: true };
  }
  if (url.endsWith('.html')) {
    const text = fs.readFileSync(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};\n`, shortCircuit: true };
  }
  if (url.endsWith('.json') && !context.importAttributes?.type) {
    const text = fs.readFileSync(new URL(url), 'utf8');
    return { format: 'module', source: `export default JSON.parse(${JSON.stringify(text)});\n`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
