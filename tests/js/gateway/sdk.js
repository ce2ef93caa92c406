// What the official-SDK gateway tests (tests/js/gateway_sdk_*.test.js) share: a mock upstream
// and an edge gateway (workerd + the WASI core) whose models each lead to one target:
//   echo      the built-in offline provider
//   openai    type openai, the mock speaking the Responses API (the same-format fast path for
//             POST /v1/responses; chat completions for the other routes)
//   anthropic type anthropic, the mock speaking the Messages API
//   gemini    type gemini, the mock speaking generateContent
//   compat    type openai-compatible, the mock speaking chat completions (translation)
// Each target gets one model per role, `<target>-<role>`, on its own mock scenario
// `<target>-<role>`, so that a test can give its scenario a behaviour (a tool call, a body…);
// the model at the provider is the target's `model`, or its `roleModels[role]` (image models).
// Needs worker/dist/switchyard.wasm (`./dev build wasi`); SWITCHYARD_WASM may point at another.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startGateway } from '../../../worker/gateway.mjs';
import { startMock } from '../../mock-upstream/server.mjs';
import { track } from './helpers.js';

/** The gateway key the SDKs are given (keys are configured: a request without it is a 401). */
export const GATEWAY_KEY = 'sk-sy-sdk-test-5d1f';
/** The only key the mock accepts: it reaches the mock from the config, never from the caller. */
export const PROVIDER_KEY = 'sk-provider-sdk-test-9b2e';

export const TARGETS = {
  echo: {
    provider: () => ({ type: 'echo' }),
    model: 'echo-1',
    answer: (text) => text,
  },
  openai: {
    provider: (mock, s) => ({ type: 'openai', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'gpt-4o-mini',
    roleModels: { image: 'gpt-image-1' },
    answer: (text) => `mock: ${text}`,
  },
  anthropic: {
    provider: (mock, s) => ({ type: 'anthropic', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'claude-3-5-haiku-latest',
    answer: (text) => `mock: ${text}`,
  },
  gemini: {
    provider: (mock, s) => ({ type: 'gemini', base_url: mock.scenarioUrl(s, '/v1beta'), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'gemini-2.0-flash',
    roleModels: { image: 'gemini-2.5-flash-image' },
    answer: (text) => `mock: ${text}`,
  },
  compat: {
    provider: (mock, s) => ({ type: 'openai-compatible', base_url: mock.scenarioUrl(s), api_key: 'env:SY_PROVIDER_KEY' }),
    model: 'llama-3.1-8b-instant',
    answer: (text) => `mock: ${text}`,
  },
};

/** What the mock's tool scenarios call, and what the tests answer for it. */
export const WEATHER_CALL = { name: 'get_weather', arguments: { city: 'Paris' } };
export const WEATHER_RESULT = '21 C and sunny';
/** What the answer after the tool result says, per target (echo echoes the result). */
export const afterTool = (target) => (target === 'echo' ? new RegExp(`^${WEATHER_RESULT}$`) : new RegExp(`^mock: tool result .*${WEATHER_RESULT}`));

export const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', description: 'The city' } },
  required: ['city'],
  additionalProperties: false,
};

/**
 * Starts the mock and a gateway. `roles` name the models/scenarios per target; `scenarios`
 * gives a role's mock behaviour (merged over {api_key}), or a function of the target giving it;
 * `config` is merged into the gateway
 * config (cache, keys…); `kvDir` gives the gateway a persistent tier.
 */
export async function startSdkGateway({ roles = ['plain'], scenarios = {}, config = {}, kvDir, name = 'sdk' } = {}) {
  const mock = await startMock();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-${name}-test-`));
  const providers = {};
  const models = {};
  for (const [target, spec] of Object.entries(TARGETS)) {
    for (const role of roles) {
      const id = `${target}-${role}`;
      const behaviour = typeof scenarios[role] === 'function' ? scenarios[role](target) : scenarios[role];
      mock.setScenario(id, { api_key: PROVIDER_KEY, ...(behaviour ?? {}) });
      providers[id] = spec.provider(mock, id);
      models[id] = { strategy: 'fallback', targets: [{ provider: id, model: spec.roleModels?.[role] ?? spec.model }] };
    }
  }
  const gatewayConfig = {
    providers,
    models,
    keys: { [GATEWAY_KEY]: { models: ['*'] } },
    retry: { attempts: 0 },
    breaker: { failures: 1000, cooldown_ms: 1000 },
    cache: { enabled: false },
    ...config,
  };
  let gateway;
  try {
    gateway = await startGateway({
      configText: JSON.stringify(gatewayConfig),
      port: 0,
      outDir: path.join(tmp, 'gw'),
      env: { SY_PROVIDER_KEY: PROVIDER_KEY },
      wasmPath: process.env.SWITCHYARD_WASM || undefined,
      kvDir,
    });
  } catch (error) {
    await mock.close();
    throw error;
  }
  track(gateway.child);
  return {
    mock,
    gateway,
    url: gateway.url,
    config: gatewayConfig,
    /** The requests the mock received for `<target>-<role>`, their JSON bodies parsed. */
    seen(target, role = 'plain') {
      return mock
        .requests()
        .filter((r) => r.scenario === `${target}-${role}`)
        .map((r) => {
          let json;
          try {
            json = JSON.parse(r.body);
          } catch {}
          return { ...r, json };
        });
    },
    /** The last request the mock received for `<target>-<role>`. */
    last(target, role = 'plain') {
      const all = this.seen(target, role);
      assert.ok(all.length > 0, `the mock received nothing for ${target}-${role}`);
      return all.at(-1);
    },
    async stop() {
      await gateway.stop();
      await mock.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * A scenario that fails mid-stream once some answer text has gone out: the number of upstream
 * events before the failure per format (Anthropic opens with message_start, ping and
 * content_block_start; the Responses API with created, in_progress, output_item.added and
 * content_part.added; a failure before any text is a plain HTTP error instead, and may fail over).
 */
export const failAfterText = (target, route = 'chat') =>
  ({ stream_error_after: { openai: route === 'responses' ? 6 : 3, compat: 3, anthropic: 5, gemini: 2, echo: 1 }[target], drip_ms: 5 });
