// An ES module TypeScript project using every API of the package: tests/js/types.test.js runs
// `tsc --noEmit -p tests/types/esm` (strict, module nodenext) and expects no error.

import {
  createCCore,
  createDriver,
  createEmscriptenCore,
  createSwitchyard,
  loadEmscriptenCore,
  openFsTier,
  openIndexedDbTier,
  SwitchyardError,
  type CacheSnapshot,
  type CacheTier,
  type ChatCompletionChunk,
  type ConfigDocument,
  type ConfigTarget,
  type PipelineStepResult,
  type Stats,
  type Switchyard,
  type SwitchyardConfig,
} from 'switchyard';

const fast: ConfigTarget = {
  strategy: 'fallback',
  on_status: [429, 503],
  targets: [
    { strategy: 'round_robin', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'groq', model: 'llama-3.1-8b-instant', weight: 2 }] },
    { provider: 'claude', model: 'claude-3-5-haiku-latest', override_params: { temperature: 0 }, limits: { rpm: 10 } },
  ],
};

const config: ConfigDocument = {
  $schema: './node_modules/switchyard/config.schema.json',
  providers: {
    openai: { type: 'openai', api_key: 'env:OPENAI_API_KEY', prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6 } } },
    claude: { type: 'anthropic', api_key: 'env:ANTHROPIC_API_KEY' },
    groq: { type: 'openai-compatible', preset: 'groq', api_key: 'env:GROQ_API_KEY', limits: { rpm: 30, concurrency: 4 } },
    demo: { type: 'echo' },
  },
  models: {
    fast,
    routed: {
      strategy: 'conditional',
      targets: [{ provider: 'demo', model: 'a', name: 'cheap' }, { provider: 'openai', model: 'gpt-4o', name: 'big' }],
      conditions: [{ when: { 'metadata.tier': 'premium', prompt_tokens: { $gt: 4000 } }, then: 'big' }, { when: { $or: [{ model: { $in: ['x'] } }] }, then: 'big' }],
      default: 'cheap',
    },
  },
  services: {
    'language-translation': { model: 'fast', system: 'Translate from {{source_language}} to {{target_language}}.', prompt: '{{text}}' },
    'image-recognition': { model: 'fast', prompt: 'Describe this image in one sentence.', image: '{{image}}' },
    rate: { model: 'fast', prompt: '{{text}}', schema: { type: 'object', properties: { score: { type: 'number' } } } },
  },
  pipelines: {
    'describe-and-translate': [
      { id: 'describe', service: 'image-recognition', input: { image: '{{input.image}}' } },
      { id: 'translate', service: 'language-translation', input: { text: '{{describe.text}}', source_language: 'en', target_language: '{{input.lang}}' } },
    ],
    scored: {
      steps: [
        { id: 'rate', service: 'rate', input: { text: '{{input.text}}' }, on_error: 'fallback_value', fallback_value: { score: 0 } },
        { id: 'praise', model: 'fast', prompt: 'Praise it', when: { 'rate.json.score': { $gte: 3 } }, cache: 'no-store', timeout_ms: 5000 },
      ],
      output: '{{praise.text}}',
      timeout_ms: 60000,
    },
  },
  retry: { attempts: 3, on_status: [408, 429, 500, 502, 503, 504], backoff_ms: 100, max_backoff_ms: 5000 },
  timeout_ms: 60000,
  breaker: { failures: 5, cooldown_ms: 30000 },
  cache: { enabled: true, policy: 'lru', max_bytes: 67108864, ttl_s: 3600, persist: true },
  keys: { 'sk-sy-team-a': { models: ['fast'], rpm: 600, budget_usd: 50 }, 'sk-sy-ops': { models: ['*'], admin: true } },
  gateway: { max_body_bytes: 4194304, cors: { origins: ['https://app.example.com'] } },
  telemetry: { logs: 'json', log_bodies: false, otlp: { endpoint: 'https://otel.example.com:4318', headers: { authorization: 'env:OTEL_TOKEN' } } },
};

const asText: SwitchyardConfig = JSON.stringify(config);

const tier: CacheTier = {
  async get(key: string) {
    return key.length > 0 ? null : new Uint8Array();
  },
  async put(_key: string, _entry: Uint8Array, _expiresAtMs: number) {},
};

export async function everything(): Promise<void> {
  const sy: Switchyard = await createSwitchyard({
    config,
    transport: 'fetch',
    persist: 'indexeddb',
    persistOptions: { database: 'switchyard', maxBytes: 1 << 20 },
    env: { OPENAI_API_KEY: 'sk-…' },
    fetch: globalThis.fetch,
    seed: 42,
    wasmUrl: new URL('https://cdn.example.com/switchyard_core.wasm'),
    log: (line: string) => console.log(line),
  });
  await createSwitchyard({ config: asText, persist: tier, wasmUrl: '/assets/switchyard_core.wasm' });
  await createSwitchyard({ config, persist: 'fs', persistOptions: { dir: '/tmp/sy-cache' } });

  const messages = [{ role: 'user' as const, content: 'Hello' }];
  const answer = await sy.chat.completions.create({ model: 'fast', messages, temperature: 0, switchyard: { cache: 'no-store', priority: 3 } });
  const text: string | null | undefined = answer.choices[0]?.message.content;
  const cost: number | undefined = answer.usage.cost;
  const served: string | null = answer._switchyard.target;
  const stream = await sy.chat.completions.create({ model: 'fast', messages, stream: true }, { signal: AbortSignal.timeout(1000) });
  for await (const chunk of stream) {
    const piece: string | null | undefined = chunk.choices[0]?.delta.content;
    void piece;
  }

  const floats = await sy.embeddings.create({ model: 'embed', input: ['a', 'b'] });
  const vector: number[] | undefined = floats.data[0]?.embedding;
  const packed = await sy.embeddings.create({ model: 'embed', input: 'a', encoding_format: 'base64', dimensions: 256 });
  const base64: string | undefined = packed.data[0]?.embedding;
  const tokens: number = floats.usage.prompt_tokens;

  const response = await sy.responses.create({ model: 'fast', input: 'hi', instructions: 'Be brief' });
  const outputText: string = response.output_text;
  const responseEvents = await sy.responses.create({ model: 'fast', input: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const event of responseEvents) if (event.type === 'response.output_text.delta') void event.delta;

  const message = await sy.messages.create({ model: 'fast', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], system: 'Be brief' });
  const first = message.content[0];
  if (first?.type === 'text') void first.text;
  const messageEvents = await sy.messages.create({ model: 'fast', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const event of messageEvents) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') void event.delta.text;
  const counted: number = (await sy.messages.countTokens({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })).input_tokens;

  const images = await sy.images.generate({ model: 'art', prompt: 'a lighthouse', size: '1024x1024', response_format: 'b64_json' });
  const image: string | undefined = images.data[0]?.b64_json;

  const translated = await sy.call('language-translation', { text: 'Hello', source_language: 'en', target_language: 'es' });
  const translation: string = translated.text;
  const parsed: unknown = translated.json;

  const run = await sy.pipeline('describe-and-translate', { image: 'data:image/png;base64,…', lang: 'es' });
  const output: unknown = run.output;
  const step: PipelineStepResult | undefined = run.steps['describe'];
  const total: number = run.cost;
  const events = await sy.pipeline('describe-and-translate', { image: '…', lang: 'es' }, { stream: true });
  for await (const event of events) {
    if (event.type === 'step') void event.step.id;
    else if (event.type === 'delta') void event.text;
    else void event.answer.output;
  }

  const stats: Stats = await sy.stats();
  for (const target of stats.targets) {
    const p50: number | null = target.latency_ms.p50;
    const state: 'closed' | 'open' | 'half_open' = target.breaker;
    void p50, state, target.requests, target.errors, target.tokens.prompt, target.cost_usd;
  }
  const hits: number = stats.cache.hits;

  const list = await sy.models();
  const ids: string[] = list.data.map((m) => m.id);
  const one = await sy.models.retrieve('demo/echo-1');

  const snapshot: CacheSnapshot = await sy.cache.export();
  const ndjson: string = await sy.cache.export({ format: 'ndjson' });
  const imported: number = (await sy.cache.import(snapshot)).imported;
  await sy.cache.import(ndjson);
  const deleted: number = (await sy.cache.clear()).deleted;
  sy.close();

  try {
    await sy.call('nope');
  } catch (error) {
    if (error instanceof SwitchyardError) {
      const status: number = error.status;
      const errorType: string | undefined = error.metadata.error_type;
      const problems = error.metadata.errors?.map((p) => `${p.path}: ${p.message}`);
      const chunk: ChatCompletionChunk | undefined = error.chunk;
      void status, errorType, problems, chunk, error.step, error.steps;
    }
  }
  const made = new SwitchyardError('refused', { status: 404, metadata: { error_type: 'invalid_request' } });

  const core = await loadEmscriptenCore(1);
  const failure: string | null = core.configure(JSON.stringify(config), '{}');
  const driver = createDriver(core, { fetch: globalThis.fetch, now: () => Date.now(), cache: tier });
  const health: Response = await driver.request('GET', '/health');
  const cores = [createEmscriptenCore({}, 1), createCCore({}, 2n)];
  const idb: CacheTier = await openIndexedDbTier({ database: 'x' });
  const fs: CacheTier = await openFsTier({ dir: '/tmp/x', maxBytes: 1024 });

  void [text, cost, served, vector, base64, tokens, outputText, counted, image, translation, parsed, output, step, total];
  void [hits, ids, one, imported, deleted, made, failure, health, cores, idb, fs];
}
