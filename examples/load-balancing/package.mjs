// Load balancing through the npm package: one service ("assistant") on a model that spreads
// its calls round-robin over two instances. Makes N calls (default 6) and prints which
// instance answered each (provider/model, from the x-switchyard-target header), then the spread.
//
//   node examples/load-balancing/package.mjs [N]
import { createSwitchyard } from 'switchyard';

import { describeConfig, describeError, exampleConfig } from '../lib/config.mjs';

const calls = Number(process.argv[2] ?? 6);
if (!Number.isInteger(calls) || calls < 1) {
  console.error('usage: node examples/load-balancing/package.mjs [number of calls ≥ 1]');
  process.exit(2);
}
const QUESTIONS = ['What is the capital of France?', 'How many legs has a spider?', 'What colour is the sky?'];

const example = await exampleConfig(new URL('.', import.meta.url));
console.log(describeConfig(example));
const sy = await createSwitchyard({ config: example.config, env: example.env });
const spread = new Map();
try {
  for (let i = 1; i <= calls; i++) {
    const question = QUESTIONS[(i - 1) % QUESTIONS.length];
    const answer = await sy.call('assistant', { question });
    const target = answer._switchyard.target;
    spread.set(target, (spread.get(target) ?? 0) + 1);
    console.log(`call ${i}: ${target}  ${JSON.stringify(answer.text)}`);
  }
} catch (error) {
  console.error(describeError(error));
  process.exitCode = 1;
} finally {
  sy.close();
}
if (!process.exitCode) {
  console.log(`spread over ${calls} calls:`);
  for (const [target, count] of [...spread].sort()) console.log(`  ${target}  ${count}`);
}
