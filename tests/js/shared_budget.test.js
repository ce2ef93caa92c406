// Key budgets shared across isolates (src/gateway/shared_budgets.cc): two engines (two WASI core
// instances, two drivers: two isolates) whose host.state reaches the same objects
// (tests/js/fake_state.js). 50 concurrent requests over both on a key with budget_usd 0.05,
// each answer costing $0.018, admit at most 3 (2 fit) and spend no more than the budget plus
// one request's difference; a pipeline's steps wait for the refill they need; an object that
// cannot be reached fails closed (503 state_unavailable naming the key) unless
// gateway.state_fail_open admits from the local lease.
// Needs worker/dist/switchyard.wasm (`./dev build wasi`).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { after, before, test } from 'node:test';

import { createCCore } from '../../web/src/core_c.js';
import { createDriver } from '../../web/src/driver.js';
import { startMock } from '../mock-upstream/server.mjs';
import { createFakeState } from './fake_state.js';

const KEY = 'sk-sy-shared-budget-5d1e';
// As tests/js/gateway_budget.test.js: 1 prompt token × $1000 + 10 words × $1700 per million =
// $0.018 an answer; the reservation is $0.023 (6 prompt tokens estimated, max_tokens 10).
const TEXT = 'one two three four five six seven eight nine ten';
const COST = 0.018;
const BUDGET = 0.05;
const opts = { timeout: 120000 };

let mock;
let compiled;
let seed = 11n;

before(async () => {
  mock = await startMock();
  mock.setScenario('shared', { text: TEXT, latency_ms: 200 });
  compiled = await WebAssembly.compile(await readFile(new URL('../../worker/dist/switchyard.wasm', import.meta.url)));
});

after(async () => {
  await mock?.close();
});

function config(failOpen = false) {
  return JSON.stringify({
    providers: {
      up: { type: 'openai-compatible', base_url: mock.scenarioUrl('shared'), prices: { m: { input: 1000, output: 1700 } } },
    },
    models: { priced: { targets: [{ provider: 'up', model: 'm' }] } },
    keys: { [KEY]: { name: 'team-shared', budget_usd: BUDGET, models: ['priced'] } },
    cache: { enabled: false },
    gateway: { state_fail_open: failOpen },
  });
}

// One isolate: a fresh core instance behind its own driver, its shared state through `state`.
async function isolate(state, configText) {
  const wasi = new WASI({ version: 'preview1' });
  const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
  wasi.initialize(instance);
  const core = createCCore(instance.exports, seed++);
  assert.equal(core.configure(configText, '{}'), null);
  const pending = [];
  const driver = createDriver(core, { fetch, state, stateTimeoutMs: 2000, waitUntil: (p) => pending.push(p), log: () => {} });
  return { driver, settle: () => Promise.all(pending) };
}

const chat = (iso) => iso.driver.request('POST', '/v1/chat/completions',
  { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  JSON.stringify({ model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }));

const spent = (shared) => shared.apply('key:team-shared', { op: 'get', pool: 'budget', capacity: BUDGET, window_ms: 0 }).consumed;

test('two isolates, 50 concurrent requests on a $0.05 budget at $0.018 an answer: at most 3 succeed, the rest 402', opts, async () => {
  const shared = createFakeState();
  const isolates = [await isolate(shared.state, config()), await isolate(shared.state, config())];
  const before = mock.counts().shared?.['POST /v1/chat/completions'] ?? 0;
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => chat(isolates[i % 2])));
  const bodies = await Promise.all(responses.map((r) => r.text()));
  const ok = responses.filter((r) => r.status === 200).length;
  const refused = responses.filter((r) => r.status === 402).length;
  assert.ok(ok >= 1 && ok <= 3, `${ok} succeeded: ${responses.map((r) => r.status).join(',')}`);
  assert.equal(ok + refused, 50, bodies.find((b, i) => responses[i].status !== 200 && responses[i].status !== 402));
  for (let i = 0; i < 50; i++) {
    if (responses[i].status === 402) assert.equal(JSON.parse(bodies[i]).error.code, 'budget_exhausted', bodies[i]);
  }
  const upstream = (mock.counts().shared?.['POST /v1/chat/completions'] ?? 0) - before;
  assert.equal(upstream, ok, 'refused requests never went upstream');
  await Promise.all(isolates.map((iso) => iso.settle()));
  // Settled spend is reported right after each request ends.
  const until = Date.now() + 10000;
  while (Math.abs(spent(shared) - ok * COST) > 1e-9 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(Math.abs(spent(shared) - ok * COST) < 1e-9, `the object holds ${spent(shared)} spent for ${ok} answers`);
  assert.ok(spent(shared) <= BUDGET + (0.023 - COST) + 1e-12, `spent ${spent(shared)}`);
});

test('a pipeline step waits for its key\'s refill like a plain request (no 503), and its steps settle', opts, async () => {
  const shared = createFakeState();
  const configText = JSON.stringify({
    ...JSON.parse(config()),
    keys: { [KEY]: { name: 'team-shared', budget_usd: 1, models: ['priced'] } },
    gateway: { reserve_output_tokens: 10 }, // $0.023 reserved per step
    pipelines: {
      pair: {
        steps: [
          { id: 'a', model: 'priced', prompt: 'a {{x}}', input: { x: '{{input.x}}' } },
          { id: 'b', model: 'priced', prompt: 'b {{x}}', input: { x: '{{input.x}}' } },
        ],
      },
    },
  });
  const iso = await isolate(shared.state, configText);
  const before = shared.ops;
  // A fresh isolate holds no lease: both steps need the object's answer first.
  const response = await iso.driver.request('POST', '/v1/pipelines/pair',
    { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, JSON.stringify({ x: 'go' }));
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.steps.a.text, TEXT);
  assert.equal(body.steps.b.text, TEXT);
  assert.ok(shared.ops > before, 'the steps waited for the object');
  await iso.settle();
  const until = Date.now() + 10000;
  const spentOf = () => shared.apply('key:team-shared', { op: 'get', pool: 'budget', capacity: 1, window_ms: 0 }).consumed;
  while (Math.abs(spentOf() - body.cost) > 1e-9 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(body.cost > 0);
  assert.ok(Math.abs(spentOf() - body.cost) < 1e-9, `the object holds ${spentOf()} spent for two steps costing ${body.cost}`);
});

test('an unreachable object: 503 state_unavailable naming the key, or answered with state_fail_open', opts, async () => {
  // Down for this test; back at its end, so the retried reports land and the isolates go idle.
  const objects = createFakeState();
  let down = true;
  const failing = async (name, text) => {
    if (down) throw new Error('the object is unreachable');
    return objects.state(name, text);
  };
  const closed = await isolate(failing, config(false));
  const response = await chat(closed);
  const body = await response.json();
  assert.equal(response.status, 503, JSON.stringify(body));
  assert.equal(body.error.code, 'state_unavailable');
  assert.match(body.error.message, /"team-shared"/);
  assert.ok(!JSON.stringify(body).includes(KEY), 'the key itself appears in the error');

  const open = await isolate(failing, config(true));
  const answered = await chat(open);
  assert.equal(answered.status, 200, await answered.clone().text());
  assert.equal((await answered.json()).choices[0].message.content, TEXT);
  down = false;
  // The spend admitted without the object is not lost: it rides with the next op (here the
  // refill of the next request; with no request live the driver arms no timer for the retry).
  const next = await chat(open);
  assert.equal(next.status, 200, await next.clone().text());
  await next.text();
  const until = Date.now() + 30000;
  while (Math.abs(spent(objects) - 2 * COST) > 1e-9 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(Math.abs(spent(objects) - 2 * COST) < 1e-9, `the object holds ${spent(objects)} spent`);
});
