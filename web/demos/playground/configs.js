// The playground's config: the three seed examples (examples/describe-and-translate,
// examples/load-balancing, examples/caching) in one document, so that one Switchyard runs them
// all and its stats cover every target. Offline on the built-in `echo` provider, or on a real
// provider whose key is typed into the page (given to the core as env, never written into
// the config text).

export const PROVIDERS = {
  echo: { label: 'echo (offline, no key)', key: null },
  openai: {
    label: 'OpenAI', key: 'OPENAI_API_KEY', type: 'openai',
    models: { vision: 'gpt-4o-mini', fast: 'gpt-4o-mini', smart: 'gpt-4o', a: 'gpt-4o-mini', b: 'gpt-4.1-mini' },
  },
  anthropic: {
    label: 'Anthropic', key: 'ANTHROPIC_API_KEY', type: 'anthropic',
    // Anthropic answers browsers only when asked to; the header says the key is the user's own.
    headers: { 'anthropic-dangerous-direct-browser-access': 'true' },
    models: { vision: 'claude-3-5-haiku-latest', fast: 'claude-3-5-haiku-latest', smart: 'claude-sonnet-4-0', a: 'claude-3-5-haiku-latest', b: 'claude-3-haiku-20240307' },
  },
  gemini: {
    label: 'Gemini', key: 'GEMINI_API_KEY', type: 'gemini',
    models: { vision: 'gemini-2.0-flash', fast: 'gemini-2.0-flash-lite', smart: 'gemini-2.5-pro', a: 'gemini-2.0-flash', b: 'gemini-2.0-flash-lite' },
  },
};

const SERVICES = {
  'image-recognition': { model: 'vision', prompt: 'Describe this image in one sentence.', image: '{{image}}' },
  'language-translation': {
    model: 'fast',
    system: 'Translate from {{source_language}} to {{target_language}}. Answer with the translation only.',
    prompt: '{{text}}',
  },
  assistant: { model: 'chat', system: 'Answer in one short sentence.', prompt: '{{question}}' },
  explain: {
    model: 'smart',
    system: 'You are a patient teacher.',
    prompt: 'Explain {{topic}} to a curious twelve-year-old in three short paragraphs.',
  },
};

const PIPELINES = {
  'describe-and-translate': [
    { id: 'describe', service: 'image-recognition', input: { image: '{{input.image}}' } },
    {
      id: 'translate',
      service: 'language-translation',
      input: { text: '{{describe.text}}', source_language: 'English', target_language: '{{input.lang}}' },
    },
  ],
};

// The assistant (round-robin) calls skip the cache, so that every call is routed and the
// spread shows; the other services use it (the caching example's second call is a HIT).
const one = (provider, model) => ({ strategy: 'fallback', targets: [{ provider, model }] });

/** The playground's config document for a provider name of PROVIDERS. */
export function exampleConfig(name) {
  const p = PROVIDERS[name];
  if (!p) throw new Error(`unknown provider ${name}`);
  if (name === 'echo') {
    return {
      providers: { echo: { type: 'echo' }, 'echo-a': { type: 'echo' }, 'echo-b': { type: 'echo' } },
      models: {
        vision: one('echo', 'echo-1'),
        fast: one('echo', 'echo-1'),
        smart: one('echo', 'echo-1'),
        chat: { strategy: 'round_robin', targets: [{ provider: 'echo-a', model: 'echo-1' }, { provider: 'echo-b', model: 'echo-1' }] },
      },
      services: SERVICES,
      pipelines: PIPELINES,
      cache: { enabled: true, policy: 'lru', max_bytes: 16777216, ttl_s: 3600 },
    };
  }
  const provider = { type: p.type, api_key: `env:${p.key}`, ...(p.headers ? { headers: p.headers } : {}) };
  return {
    providers: { [name]: provider },
    models: {
      vision: one(name, p.models.vision),
      fast: one(name, p.models.fast),
      smart: one(name, p.models.smart),
      chat: { strategy: 'round_robin', targets: [{ provider: name, model: p.models.a }, { provider: name, model: p.models.b }] },
    },
    services: SERVICES,
    pipelines: PIPELINES,
    cache: { enabled: true, policy: 'lru', max_bytes: 16777216, ttl_s: 3600 },
  };
}

/** The env names a config text references ("env:NAME"), for the key fields. */
export function envNamesOf(configText) {
  return [...new Set([...configText.matchAll(/"env:([A-Za-z_][A-Za-z0-9_]*)"/g)].map((m) => m[1]))].sort();
}
