// A CommonJS TypeScript project (package.json without "type", module node16: what `npm init`
// and `tsc --init` make): `import` compiles to require('switchyard'), which resolves to the
// package's CommonJS entry (index.cjs, types index.d.cts). tests/js/types.test.js runs
// `tsc --noEmit -p tests/types/cjs` (strict) and expects no error (TS1479 before index.d.cts).

import { createSwitchyard, SwitchyardError, type ConfigDocument, type Stats, type Switchyard } from 'switchyard';

const config: ConfigDocument = {
  providers: { demo: { type: 'echo' } },
  models: { fast: { strategy: 'fallback', targets: [{ provider: 'demo', model: 'echo-1' }] } },
  services: { greet: { model: 'fast', prompt: 'Say hello to {{name}}' } },
  pipelines: { hello: [{ id: 'greet', service: 'greet', input: { name: '{{input.name}}' } }] },
  cache: { enabled: true },
};

export async function main(): Promise<string> {
  const sy: Switchyard = await createSwitchyard({ config, persist: 'memory' });
  const answer = await sy.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
  const stream = await sy.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const chunk of stream) void chunk.choices[0]?.delta.content;
  const vectors = await sy.embeddings.create({ model: 'fast', input: 'hi' });
  const greeting = await sy.call('greet', { name: 'Ada' });
  const run = await sy.pipeline('hello', { name: 'Ada' });
  const stats: Stats = await sy.stats();
  const snapshot = await sy.cache.export();
  await sy.cache.import(snapshot);
  await sy.cache.clear();
  try {
    await sy.call('nope');
  } catch (error) {
    if (!(error instanceof SwitchyardError)) throw error;
    const status: number = error.status;
    void status;
  }
  sy.close();
  const made: SwitchyardError = new SwitchyardError('refused', { status: 404 });
  void vectors.data[0]?.embedding, greeting.text, run.output, stats.targets, made;
  return answer.choices[0]?.message.content ?? '';
}
