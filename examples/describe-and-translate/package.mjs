// Chaining through the npm package: the pipeline "describe-and-translate" describes an image
// (service image-recognition), then translates the description (service language-translation,
// fed with {{describe.text}}). Runs it once whole, then once streamed: each step as it
// finishes, the translation's tokens as they arrive, then the answer.
//
//   node examples/describe-and-translate/package.mjs [image file or https URL] [language]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createSwitchyard } from 'switchyard';

import { describeConfig, describeError, exampleConfig } from '../lib/config.mjs';

const here = new URL('.', import.meta.url);
const imageArg = process.argv[2] ?? fileURLToPath(new URL('sun.png', here));
const lang = process.argv[3] ?? 'French';

// An image the providers accept: an http(s) URL as it is, a file as a data: URL.
async function imageUrl(arg) {
  if (/^https?:\/\//.test(arg) || arg.startsWith('data:')) return arg;
  const types = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };
  const type = types[path.extname(arg).toLowerCase()] ?? 'application/octet-stream';
  return `data:${type};base64,${(await readFile(arg)).toString('base64')}`;
}

const stepLine = (id, s) =>
  `  ${id.padEnd(10)} ${`${s.provider}/${s.model}`.padEnd(28)} cache ${String(s.cache).padEnd(9)} ${String(s.ms).padStart(5)} ms  ${s.skipped ? '(skipped)' : JSON.stringify(s.text)}`;

const example = await exampleConfig(here);
console.log(describeConfig(example));
const sy = await createSwitchyard({ config: example.config, env: example.env });
const input = { image: await imageUrl(imageArg), lang };
try {
  console.log(`\nsy.pipeline('describe-and-translate', { image: ${path.basename(imageArg)}, lang: '${lang}' })`);
  const answer = await sy.pipeline('describe-and-translate', input);
  console.log(`output: ${JSON.stringify(answer.output)}`);
  console.log('steps:');
  for (const [id, step] of Object.entries(answer.steps)) console.log(stepLine(id, step));
  console.log(`usage: ${answer.usage.total_tokens} tokens, cost $${answer.cost}`);

  console.log('\nstreamed (the same call again: its steps now come from the cache):');
  for await (const event of await sy.pipeline('describe-and-translate', input, { stream: true })) {
    if (event.type === 'step') console.log(`step ${stepLine(event.step.id, event.step).trimStart()}`);
    else if (event.type === 'delta') console.log(`delta ${JSON.stringify(event.text)}`);
    else if (event.type === 'done') console.log(`done: output ${JSON.stringify(event.answer.output)}`);
  }
} catch (error) {
  // A SwitchyardError; a failing step is named by error.step, the steps done before are error.steps.
  console.error(`pipeline ${describeError(error)}`);
  process.exitCode = 1;
} finally {
  sy.close();
}
