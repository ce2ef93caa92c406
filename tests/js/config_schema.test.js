// web/config.schema.json agrees with the core's config loader (src/config): every document of
// the corpus below is checked with the schema (ajv, draft-07) and with the core (the Emscripten
// build in web/dist, configure()); both must accept it or both refuse it. Rules that span members
// (a target naming an unknown provider…) are the core's only: CORE_ONLY lists them, and the test
// checks that the schema lets them through and the core refuses them. Every config of the
// repository (examples/**, worker/default-config.json, the gateway tests' config) is valid.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import Ajv from 'ajv';

import { loadEmscriptenCore } from '../../web/src/node.js';
import { testConfig } from './gateway/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'web/config.schema.json'), 'utf8'));

const echo = { e: { type: 'echo' } };
const leaf = { provider: 'e', model: 'm' };
const withModel = (extra) => ({ providers: echo, models: { fast: leaf }, ...extra });
const service = { model: 'fast', prompt: 'Say {{text}}' };
const withPipeline = (steps) => withModel({ services: { say: service }, pipelines: { p: steps } });
const step = (extra) => ({ id: 's', service: 'say', input: { text: '{{input.text}}' }, ...extra });

// Valid documents, together covering every member the loader reads.
const VALID = {
  minimal: { providers: echo },
  'editor $schema member': { $schema: './node_modules/switchyard/config.schema.json', providers: echo },
  'every provider type and member': {
    providers: {
      openai: { type: 'openai', api_key: 'env:OPENAI_API_KEY', timeout_ms: 20000, headers: { 'OpenAI-Organization': 'org' } },
      azure: { type: 'azure-openai', base_url: 'https://x.openai.azure.com/openai', api_key: 'k', api_version: '2024-10-21' },
      claude: { type: 'anthropic', api_key: 'literal-key', api_version: '2023-06-01' },
      gemini: { type: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta/' },
      groq: { type: 'openai-compatible', preset: 'groq', api_key: 'env:GROQ_API_KEY', limits: { rpm: 30, tpm: 1e6, concurrency: 4 } },
      local: { type: 'openai-compatible', base_url: 'http://localhost:11434/v1', preset: 'ollama' },
      priced: { type: 'openai-compatible', base_url: 'https://gw.example.com/v1', prices: { 'm-1': { input: 0.15, output: 0.6 }, free: {} } },
      demo: { type: 'echo' },
    },
  },
  'SPEC section 1 shape': {
    providers: { demo: { type: 'echo' }, other: { type: 'echo' } },
    models: {
      fast: {
        strategy: 'fallback',
        on_status: [429, 503],
        targets: [
          { strategy: 'round_robin', targets: [{ provider: 'demo', model: 'a' }, { provider: 'other', model: 'b', weight: 2 }] },
          { provider: 'demo', model: 'c', override_params: { temperature: 0 }, limits: { rpm: 10 } },
        ],
      },
      direct: { provider: 'demo', model: 'x' },
    },
    services: {
      translate: { model: 'fast', system: 'From {{a}} to {{b}}', prompt: '{{text}}' },
      look: { model: 'demo/vision', prompt: 'Describe', image: '{{image}}' },
      picture: { model: 'fast', image: '{{image}}' },
      extract: { model: 'fast', prompt: '{{text}}', schema: { type: 'object', properties: { n: { type: 'number' } } } },
    },
    retry: { attempts: 3, on_status: [408, 429, 500, 502, 503, 504], backoff_ms: 100, max_backoff_ms: 5000 },
    timeout_ms: 60000,
    breaker: { failures: 5, cooldown_ms: 30000 },
    cache: { enabled: true, policy: 'lfu', max_bytes: 67108864, ttl_s: 3600, persist: true, store_truncated: true },
    keys: { 'sk-sy-team-a': { name: 'team-a', models: ['fast'], rpm: 600, budget_usd: 50 }, 'sk-sy-ops': { models: ['*'], admin: true }, 'env:OPS_KEY': {} },
    gateway: { max_body_bytes: 1048576, body_timeout_ms: 5000, reserve_output_tokens: 1024, state_fail_open: true, cors: { origins: ['https://app.example.com', 'http://localhost:5173'], max_age_s: 60 } },
  },
  'every strategy': withModel({
    models: Object.fromEntries(
      ['fallback', 'round_robin', 'weighted', 'random', 'least_outstanding', 'latency', 'cost', 'usage'].map((s) => [s, { strategy: s, targets: [leaf] }]),
    ),
  }),
  'group without strategy (fallback)': withModel({ models: { g: { targets: [leaf, { provider: 'e', model: 'n' }] } } }),
  'conditional routing': withModel({
    models: {
      routed: {
        strategy: 'conditional',
        targets: [{ ...leaf, name: 'cheap' }, { strategy: 'fallback', name: 'big', targets: [{ provider: 'e', model: 'big' }] }],
        conditions: [
          { when: { 'metadata.tier': 'premium' }, then: 'big' },
          { when: { 'params.max_tokens': { $gte: 1000, $lt: 8000 }, model: { $in: ['routed', 'x'] } }, then: 'big' },
          { when: { $or: [{ prompt_tokens: { $gt: 4000 } }, { $and: [{ 'metadata.a.b': { $ne: null, $nin: [1, 2] } }] }] }, then: 'big' },
        ],
        default: 'cheap',
      },
      'only-default': { strategy: 'conditional', targets: [{ ...leaf, name: 'one' }], default: 'one' },
    },
  }),
  'CORS any origin': { providers: echo, gateway: { cors: { origins: ['*'] } } },
  'telemetry with every member': {
    providers: echo,
    telemetry: { logs: 'json', log_bodies: true, otlp: { endpoint: 'https://otel.example.com:4318/', headers: { Authorization: 'env:OTEL_TOKEN', 'x-team': 'a' } } },
  },
  'telemetry logs none, otlp without headers': { providers: echo, telemetry: { logs: 'none', otlp: { endpoint: 'http://127.0.0.1:4318' } } },
  'telemetry empty': { providers: echo, telemetry: {} },
  'pipeline as an array of steps': withPipeline([
    step({ id: 'first' }),
    step({ id: 'second', input: { text: '{{first.text}}' }, model: 'e/other', cache: 'no-store', timeout_ms: 1000, on_error: 'skip' }),
  ]),
  'pipeline object with every step member': withModel({
    services: { say: service, facts: { model: 'fast', prompt: '{{text}}', schema: { type: 'object', properties: { score: { type: 'number' } } } } },
    pipelines: {
      p: {
        steps: [
          { id: 'rate', service: 'facts', input: { text: '{{input.text}}' }, on_error: 'fallback_value', fallback_value: { score: 0 } },
          { id: 'inline_1', model: 'fast', system: 'Be brief', prompt: 'Rate {{x}}', input: { x: '{{rate.json.score}}' }, cache: 'refresh' },
          { id: '_img', model: 'fast', image: '{{img}}', input: { img: '{{input.image}}' }, when: { 'rate.json.score': { $gte: 3 }, $or: [{ 'input.lang': 'es' }] }, cache: 'only' },
          { id: 'last', model: 'fast', prompt: 'Sum up', schema: { type: 'object' }, on_error: 'fail', cache: 'default' },
        ],
        output: '{{last.json}}',
        timeout_ms: 60000,
      },
    },
  }),
  'ranges at their bounds': {
    providers: { e: { type: 'echo', timeout_ms: 3600000, limits: { rpm: 100000, tpm: 0, concurrency: 0 } } },
    retry: { attempts: 0, on_status: [100, 599], backoff_ms: 0, max_backoff_ms: 3600000 },
    timeout_ms: 1,
    breaker: { failures: 1, cooldown_ms: 86400000 },
    cache: { max_bytes: 1024, ttl_s: 0 },
    gateway: { max_body_bytes: 1073741824, body_timeout_ms: 1, reserve_output_tokens: 0, state_fail_open: false, cors: { origins: [], max_age_s: 86400 } },
    models: { m: { ...leaf, weight: 1e9 } },
  },
  'empty optional sections': { providers: echo, models: {}, services: {}, pipelines: {}, keys: {} },
};

// Invalid documents, each breaking one rule that the schema states.
const INVALID = {
  'not an object': [],
  'providers missing': { models: {} },
  'providers empty': { providers: {} },
  'unknown top-level member': { providers: echo, tracing: { logs: 'json' } },
  '$schema not a string': { $schema: 7, providers: echo },
  'provider name with /': { providers: { 'a/b': { type: 'echo' } } },
  'provider not an object': { providers: { e: 'echo' } },
  'provider type missing': { providers: { e: {} } },
  'provider type unknown': { providers: { e: { type: 'nope' } } },
  'provider type not a string': { providers: { e: { type: 1 } } },
  'provider unknown member': { providers: { e: { type: 'echo', colour: 'red' } } },
  'base_url not http(s)': { providers: { e: { type: 'openai', base_url: 'ftp://x' } } },
  'azure without base_url': { providers: { e: { type: 'azure-openai' } } },
  'openai-compatible without base_url or preset': { providers: { e: { type: 'openai-compatible' } } },
  'preset unknown': { providers: { e: { type: 'openai-compatible', preset: 'nope' } } },
  'preset on another type': { providers: { e: { type: 'openai', preset: 'groq' } } },
  'api_key "env:" without a name': { providers: { e: { type: 'openai', api_key: 'env:' } } },
  'api_key not a string': { providers: { e: { type: 'openai', api_key: 42 } } },
  'header not a string': { providers: { e: { type: 'echo', headers: { 'x-a': 1 } } } },
  'limits unknown member': { providers: { e: { type: 'echo', limits: { rps: 1 } } } },
  'limits rpm out of range': { providers: { e: { type: 'echo', limits: { rpm: 100001 } } } },
  'limits concurrency not whole': { providers: { e: { type: 'echo', limits: { concurrency: 1.5 } } } },
  'provider timeout_ms 0': { providers: { e: { type: 'echo', timeout_ms: 0 } } },
  'price unknown member': { providers: { e: { type: 'echo', prices: { m: { input: 1, cached: 1 } } } } },
  'price negative': { providers: { e: { type: 'echo', prices: { m: { output: -1 } } } } },
  'api_version not a string': { providers: { e: { type: 'anthropic', api_version: 2023 } } },
  'model name empty': withModel({ models: { '': leaf } }),
  'model not an object': withModel({ models: { m: 'e/m' } }),
  'leaf without model': withModel({ models: { m: { provider: 'e' } } }),
  'leaf without provider': withModel({ models: { m: { model: 'm' } } }),
  'leaf model empty': withModel({ models: { m: { provider: 'e', model: '' } } }),
  'leaf unknown member': withModel({ models: { m: { ...leaf, on_status: [500] } } }),
  'leaf weight 0': withModel({ models: { m: { ...leaf, weight: 0 } } }),
  'leaf override_params not an object': withModel({ models: { m: { ...leaf, override_params: [] } } }),
  'group without targets': withModel({ models: { m: { strategy: 'random' } } }),
  'group targets empty': withModel({ models: { m: { strategy: 'random', targets: [] } } }),
  'group strategy unknown': withModel({ models: { m: { strategy: 'sideways', targets: [leaf] } } }),
  'group unknown member': withModel({ models: { m: { targets: [leaf], model: 'x' } } }),
  'group on_status out of range': withModel({ models: { m: { targets: [leaf], on_status: [99] } } }),
  'group on_status not an array': withModel({ models: { m: { targets: [leaf], on_status: 500 } } }),
  'nested leaf broken': withModel({ models: { m: { targets: [{ targets: [{ provider: 'e' }] }] } } }),
  'conditions on a fallback group': withModel({ models: { m: { targets: [{ ...leaf, name: 'a' }], conditions: [], default: 'a' } } }),
  'conditional without default': withModel({ models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }] } } }),
  'condition without then': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { model: 'x' } }] } },
  }),
  'condition on an unknown field': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { tier: 'x' }, then: 'a' }] } },
  }),
  'condition unknown operator': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { model: { $like: 'x' } }, then: 'a' }] } },
  }),
  'condition $in not an array': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { model: { $in: 'x' } }, then: 'a' }] } },
  }),
  'condition empty': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: {}, then: 'a' }] } },
  }),
  'condition $or empty': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { $or: [] }, then: 'a' }] } },
  }),
  'condition metadata without a name': withModel({
    models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'a', conditions: [{ when: { metadata: 'x' }, then: 'a' }] } },
  }),
  'service without model': withModel({ services: { s: { prompt: 'hi' } } }),
  'service without prompt or image': withModel({ services: { s: { model: 'fast', system: 'x' } } }),
  'service prompt empty': withModel({ services: { s: { model: 'fast', prompt: '' } } }),
  'service unknown member': withModel({ services: { s: { ...service, temperature: 0 } } }),
  'service schema not an object': withModel({ services: { s: { ...service, schema: 'json' } } }),
  'pipeline not an array or object': withPipeline('say'),
  'pipeline empty': withPipeline([]),
  'pipeline object without steps': withPipeline({ output: '{{s.text}}' }),
  'pipeline object unknown member': withPipeline({ steps: [step()], retries: 2 }),
  'pipeline timeout_ms out of range': withPipeline({ steps: [step()], timeout_ms: 86400001 }),
  'step without id': withPipeline([{ service: 'say', input: { text: 'x' } }]),
  'step id with a dot': withPipeline([step({ id: 'a.b' })]),
  'step id "input"': withPipeline([step({ id: 'input' })]),
  'step unknown member': withPipeline([step({ retries: 1 })]),
  'step with a service and a prompt': withPipeline([step({ prompt: 'x' })]),
  'step without a service or model': withPipeline([{ id: 's', prompt: 'x' }]),
  'step with a model and no prompt': withPipeline([{ id: 's', model: 'fast', system: 'x' }]),
  'step input not a string': withPipeline([step({ input: { text: 1 } })]),
  'step cache unknown': withPipeline([step({ cache: 'sometimes' })]),
  'step on_error unknown': withPipeline([step({ on_error: 'retry' })]),
  'step fallback_value without on_error': withPipeline([step({ fallback_value: 'x' })]),
  'step on_error fallback_value without a value': withPipeline([step({ on_error: 'fallback_value' })]),
  'step when with an empty segment': withPipeline([step({ when: { 'input..x': 1 } })]),
  'step timeout_ms 0': withPipeline([step({ timeout_ms: 0 })]),
  'retry attempts 11': { providers: echo, retry: { attempts: 11 } },
  'retry attempts not whole': { providers: echo, retry: { attempts: 1.5 } },
  'retry unknown member': { providers: echo, retry: { tries: 1 } },
  'timeout_ms a string': { providers: echo, timeout_ms: '60s' },
  'breaker failures 0': { providers: echo, breaker: { failures: 0 } },
  'cache enabled not a boolean': { providers: echo, cache: { enabled: 'yes' } },
  'cache policy unknown': { providers: echo, cache: { policy: 'fifo' } },
  'cache max_bytes too small': { providers: echo, cache: { max_bytes: 1000 } },
  'cache unknown member': { providers: echo, cache: { size: 1 } },
  'key not an object': { providers: echo, keys: { k: true } },
  'key name empty': { providers: echo, keys: { '': {} } },
  'key models not an array': { providers: echo, keys: { k: { models: '*' } } },
  'key models not strings': { providers: echo, keys: { k: { models: [1] } } },
  'key unknown member': { providers: echo, keys: { k: { budget: 1 } } },
  'key admin not a boolean': { providers: echo, keys: { k: { admin: 1 } } },
  'key name with a space': { providers: echo, keys: { k: { name: 'team a' } } },
  'key name longer than 64': { providers: echo, keys: { k: { name: 'n'.repeat(65) } } },
  'key name not a string': { providers: echo, keys: { k: { name: 7 } } },
  'gateway unknown member': { providers: echo, gateway: { port: 80 } },
  'gateway max_body_bytes over 1 GiB': { providers: echo, gateway: { max_body_bytes: 1073741825 } },
  'gateway reserve_output_tokens negative': { providers: echo, gateway: { reserve_output_tokens: -1 } },
  'gateway reserve_output_tokens not whole': { providers: echo, gateway: { reserve_output_tokens: 1.5 } },
  'gateway state_fail_open not a boolean': { providers: echo, gateway: { state_fail_open: 'yes' } },
  'cors without origins': { providers: echo, gateway: { cors: { max_age_s: 1 } } },
  'cors origin with a path': { providers: echo, gateway: { cors: { origins: ['https://a.example.com/'] } } },
  'cors origin without a scheme': { providers: echo, gateway: { cors: { origins: ['a.example.com'] } } },
  'telemetry not an object': { providers: echo, telemetry: 'json' },
  'telemetry logs neither json nor none': { providers: echo, telemetry: { logs: 'text' } },
  'telemetry log_bodies not a boolean': { providers: echo, telemetry: { log_bodies: 'yes' } },
  'telemetry unknown member': { providers: echo, telemetry: { sample_rate: 1 } },
  'otlp without endpoint': { providers: echo, telemetry: { otlp: { headers: {} } } },
  'otlp endpoint without a scheme': { providers: echo, telemetry: { otlp: { endpoint: 'otel:4318' } } },
  'otlp unknown member': { providers: echo, telemetry: { otlp: { endpoint: 'http://o.test', protocol: 'grpc' } } },
  'otlp header not a string': { providers: echo, telemetry: { otlp: { endpoint: 'http://o.test', headers: { 'x-n': 1 } } } },
  'otlp header name with a space': { providers: echo, telemetry: { otlp: { endpoint: 'http://o.test', headers: { 'x n': 'v' } } } },
  'otlp header value with a line break': { providers: echo, telemetry: { otlp: { endpoint: 'http://o.test', headers: { 'x-n': 'a\nb' } } } },
  'otlp header value env: without a name': { providers: echo, telemetry: { otlp: { endpoint: 'http://o.test', headers: { authorization: 'env:' } } } },
};

// Documents the schema accepts and the core refuses: rules across members, or the host's env.
const CORE_ONLY = {
  'a target names an unknown provider': withModel({ models: { m: { provider: 'nope', model: 'x' } } }),
  'a service names an unknown model': withModel({ services: { s: { model: 'nope', prompt: 'x' } } }),
  'a step names an unknown service': withPipeline([step({ service: 'nope' })]),
  'a template names an unknown step': withPipeline([step({ input: { text: '{{ghost.text}}' } })]),
  'a step misses an input field its service needs': withPipeline([step({ input: {} })]),
  'steps refer to each other (a cycle)': withPipeline([
    step({ id: 'a', input: { text: '{{b.text}}' } }),
    step({ id: 'b', input: { text: '{{a.text}}' } }),
  ]),
  'two steps with one id': withPipeline([step(), step()]),
  'a json reference to a step without schema': withPipeline({ steps: [step()], output: '{{s.json.a}}' }),
  'a conditional default names no child': withModel({ models: { m: { strategy: 'conditional', targets: [{ ...leaf, name: 'a' }], default: 'b' } } }),
  'two leaves give one target different limits': withModel({
    models: { m: { targets: [{ ...leaf, limits: { rpm: 1 } }, { ...leaf, limits: { rpm: 2 } }] } },
  }),
  'two keys with one name': { providers: echo, keys: { k1: { name: 'team' }, k2: { name: 'team' } } },
  'target trees nested deeper than 16 levels': withModel({
    models: { m: Array.from({ length: 17 }).reduce((inner) => ({ targets: [inner] }), leaf) },
  }),
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(SCHEMA);

function schemaErrors(doc) {
  return validate(doc) ? null : ajv.errorsText(validate.errors);
}

let core;
// The core's problems for `doc`, or null when it loads. Every env:NAME it names is set.
function coreErrors(doc) {
  const text = JSON.stringify(doc);
  const env = Object.fromEntries(core.envNames(text).map((name) => [name, 'test-value']));
  const failure = core.configure(text, JSON.stringify(env));
  if (failure === null) return null;
  return JSON.parse(failure).error.metadata.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

function repositoryConfigs() {
  const out = { 'worker/default-config.json': path.join(ROOT, 'worker/default-config.json') };
  for (const example of readdirSync(path.join(ROOT, 'examples'), { withFileTypes: true })) {
    if (!example.isDirectory()) continue;
    for (const file of readdirSync(path.join(ROOT, 'examples', example.name))) {
      if (/^config.*\.json$/.test(file)) out[`examples/${example.name}/${file}`] = path.join(ROOT, 'examples', example.name, file);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([name, file]) => [name, JSON.parse(readFileSync(file, 'utf8'))]));
}

describe('config schema agrees with the core', () => {
  before(async () => {
    core = await loadEmscriptenCore(1);
  });

  test('the schema is draft-07 with an $id, and the corpus covers it', () => {
    assert.equal(SCHEMA.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.match(SCHEMA.$id, /^https:\/\//);
    assert.ok(Object.keys(VALID).length >= 10 && Object.keys(INVALID).length >= 80);
  });

  for (const [name, doc] of Object.entries(VALID)) {
    test(`valid: ${name}`, () => {
      assert.equal(schemaErrors(doc), null, 'schema');
      assert.equal(coreErrors(doc), null, 'core');
    });
  }

  for (const [name, doc] of Object.entries(INVALID)) {
    test(`invalid: ${name}`, () => {
      assert.notEqual(schemaErrors(doc), null, 'the schema accepts it');
      assert.notEqual(coreErrors(doc), null, 'the core accepts it');
    });
  }

  for (const [name, doc] of Object.entries(CORE_ONLY)) {
    test(`core only: ${name}`, () => {
      assert.equal(schemaErrors(doc), null, 'schema');
      assert.notEqual(coreErrors(doc), null, 'the core accepts it');
    });
  }

  test('every config of the repository is valid for the schema and the core', () => {
    const configs = { ...repositoryConfigs(), 'tests/js/gateway/helpers.js testConfig': testConfig({ scenarioUrl: (s) => `http://127.0.0.1:9/s/${s}/v1` }) };
    assert.ok(Object.keys(configs).length >= 13);
    for (const [name, doc] of Object.entries(configs)) {
      assert.equal(schemaErrors(doc), null, `${name}: schema`);
      assert.equal(coreErrors(doc), null, `${name}: core`);
    }
  });
});
