// Caching through the npm package: the same expensive call twice. The first goes to the
// provider and is stored (cache MISS); the second is answered from the cache (HIT), in a
// fraction of the time. Prints both answers, the cache status of each and the time each took.
//
//   node examples/caching/package.mjs [topic]
import { createSwitchyard } from 'switchyard';

import { describeConfig, describeError, exampleConfig } from '../lib/config.mjs';

const topic = process.argv[2] ?? 'how rainbows form';

const example = await exampleConfig(new URL('.', import.meta.url));
console.log(describeConfig(example));
const sy = await createSwitchyard({ config: example.config, env: example.env });
const answers = [];
try {
  for (const call of [1, 2]) {
    const start = performance.now();
    const answer = await sy.call('explain', { topic });
    const ms = performance.now() - start;
    // The cache status is the x-switchyard-cache header: MISS (asked the provider), HIT (from the cache).
    console.log(`call ${call}: cache ${answer._switchyard.cache} in ${ms.toFixed(1)} ms (${answer._switchyard.target})`);
    console.log(`  answer: ${JSON.stringify(answer.text)}`);
    answers.push(answer.text);
  }
} catch (error) {
  console.error(describeError(error));
  process.exitCode = 1;
} finally {
  sy.close();
}
if (answers.length === 2) console.log(`same answer: ${answers[0] === answers[1] ? 'yes' : 'no'}`);
