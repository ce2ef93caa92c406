// Wrong configs and wrong calls that the types refuse: every line after a @ts-expect-error must
// be an error, else tsc reports the unused directive (tests/js/types.test.js expects exit 0).

import { createSwitchyard, type ConfigDocument, type Switchyard } from 'switchyard';

const providers = { demo: { type: 'echo' as const } };

export const wrongConfigs: ConfigDocument[] = [
  // @ts-expect-error providers is required
  { models: {} },
  // @ts-expect-error an unknown top-level member
  { providers, tracing: { logs: 'json' } },
  // @ts-expect-error telemetry logs are "json" or "none"
  { providers, telemetry: { logs: 'text' } },
  // @ts-expect-error an otlp export needs its endpoint
  { providers, telemetry: { otlp: { headers: {} } } },
  // @ts-expect-error an unknown provider type
  { providers: { x: { type: 'openai-ish' } } },
  // @ts-expect-error a provider's type is required
  { providers: { x: { base_url: 'https://x.example.com' } } },
  // @ts-expect-error an unknown provider member
  { providers: { x: { type: 'echo', colour: 'red' } } },
  // @ts-expect-error an unknown preset
  { providers: { x: { type: 'openai-compatible', preset: 'acme' } } },
  // @ts-expect-error limits are numbers
  { providers: { x: { type: 'echo', limits: { rpm: '30' } } } },
  // @ts-expect-error an unknown strategy
  { providers, models: { m: { strategy: 'sideways', targets: [{ provider: 'demo', model: 'x' }] } } },
  // @ts-expect-error a leaf needs a model
  { providers, models: { m: { provider: 'demo' } } },
  // @ts-expect-error a group's targets is an array
  { providers, models: { m: { strategy: 'random', targets: { provider: 'demo', model: 'x' } } } },
  // @ts-expect-error on_status holds numbers
  { providers, retry: { on_status: ['500'] } },
  // @ts-expect-error an unknown cache policy
  { providers, cache: { policy: 'fifo' } },
  // @ts-expect-error cache.enabled is a boolean
  { providers, cache: { enabled: 'yes' } },
  // @ts-expect-error a service needs a model
  { providers, services: { s: { prompt: 'hi' } } },
  // @ts-expect-error a step needs an id
  { providers, pipelines: { p: [{ service: 's' }] } },
  // @ts-expect-error an unknown on_error
  { providers, pipelines: { p: [{ id: 'a', service: 's', on_error: 'retry' }] } },
  // @ts-expect-error a step's input fields are string templates
  { providers, pipelines: { p: [{ id: 'a', service: 's', input: { n: 1 } }] } },
  // @ts-expect-error key models is an array
  { providers, keys: { k: { models: '*' } } },
  // @ts-expect-error CORS origins are required
  { providers, gateway: { cors: { max_age_s: 60 } } },
];

export async function wrongCalls(sy: Switchyard): Promise<void> {
  // @ts-expect-error the config is required
  await createSwitchyard({});
  // @ts-expect-error an unknown transport
  await createSwitchyard({ config: { providers }, transport: 'xhr' });
  // @ts-expect-error an unknown persist
  await createSwitchyard({ config: { providers }, persist: 'localStorage' });
  // @ts-expect-error wasmUrl is a string or a URL
  await createSwitchyard({ config: { providers }, wasmUrl: 42 });
  // @ts-expect-error messages are required
  await sy.chat.completions.create({ model: 'fast' });
  // @ts-expect-error an unknown role
  await sy.chat.completions.create({ model: 'fast', messages: [{ role: 'robot', content: 'hi' }] });
  // @ts-expect-error an unknown cache control
  await sy.chat.completions.create({ model: 'fast', messages: [], switchyard: { cache: 'sometimes' } });
  const answer = await sy.chat.completions.create({ model: 'fast', messages: [] });
  // @ts-expect-error a non-stream answer is not iterable
  for await (const chunk of answer) void chunk;
  // @ts-expect-error max_tokens is required by the Messages API
  await sy.messages.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
  // @ts-expect-error an embedding input is text or tokens
  await sy.embeddings.create({ model: 'e', input: { text: 'hi' } });
  const packed = await sy.embeddings.create({ model: 'e', input: 'hi', encoding_format: 'base64' });
  // @ts-expect-error a base64 embedding is a string
  const vector: number[] | undefined = packed.data[0]?.embedding;
  // @ts-expect-error images need a prompt
  await sy.images.generate({ model: 'art' });
  // @ts-expect-error a service's name is a string
  await sy.call(42);
  // @ts-expect-error the input of a call is an object
  await sy.call('s', 'text');
  const run = await sy.pipeline('p', {});
  // @ts-expect-error a pipeline's cost is a number
  const cost: string = run.cost;
  const stats = await sy.stats();
  // @ts-expect-error a breaker state is one of closed, open, half_open
  const state: 'broken' = stats.targets[0]!.breaker;
  // @ts-expect-error cache.export's format is json or ndjson
  await sy.cache.export({ format: 'csv' });
  void vector, cost, state;
}
