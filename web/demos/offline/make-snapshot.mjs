// Makes the offline demo's cache snapshot (web/demos/offline/snapshot.json, committed) from
// config.json and prompts.json: runs the npm package in Node with the config's provider
// swapped for the built-in `echo` provider of the same name (so the core computes the cache
// key of each question exactly as the page will ask it, and the target names match), exports
// the cache, and puts each prompt's written answer in place of echo's text.
//
//   node web/demos/offline/make-snapshot.mjs [out file]   (needs the `web` build: web/dist)
//
// Run it again after changing config.json or prompts.json, or when the core's cache keys change
// (tests/browser/demos.test.js checks that the committed snapshot still matches).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { createSwitchyard } from '../../src/node.js';

const here = new URL('.', import.meta.url);

/** The snapshot document for the demo's config and prompts. */
export async function makeSnapshot() {
  const config = JSON.parse(await readFile(new URL('config.json', here), 'utf8'));
  const prompts = JSON.parse(await readFile(new URL('prompts.json', here), 'utf8'));
  for (const name of Object.keys(config.providers)) config.providers[name] = { type: 'echo' };
  const sy = await createSwitchyard({ config });
  try {
    const byEchoText = new Map();
    for (const { question, answer } of prompts) {
      const echoed = await sy.call('ask', { question });
      byEchoText.set(echoed.text, answer);
    }
    const snapshot = await sy.cache.export();
    for (const entry of snapshot.entries) {
      const message = entry.answer?.choices?.[0]?.message;
      const written = byEchoText.get(message?.content);
      if (written === undefined) throw new Error(`an entry of the snapshot answers no prompt: ${message?.content}`);
      message.content = written;
      entry.answer.id = `chatcmpl-offline-${entry.key.slice(0, 12)}`;
    }
    snapshot.entries.sort((a, b) => a.key.localeCompare(b.key));
    return snapshot;
  } finally {
    sy.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? fileURLToPath(new URL('snapshot.json', here));
  const snapshot = await makeSnapshot();
  await writeFile(out, `${JSON.stringify(snapshot, null, 2)}\n`);
  console.log(`wrote ${snapshot.entries.length} answers to ${out}`);
}
