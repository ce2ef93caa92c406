// The playground: one Switchyard (the npm package) in the page, configured from the editor,
// runs the three seed examples and draws its stats. window.playground exposes the state the
// browser test reads (tests/browser/demos.test.js).
import { createSwitchyard } from 'switchyard';

import { barChart, renderStats } from '../shared/charts.js';
import { describeError, describeFailure } from '../shared/errors.js';
import { PROVIDERS, envNamesOf, exampleConfig } from './configs.js';

const $ = (id) => document.getElementById(id);
const KEY_PREFIX = 'switchyard.playground.key.';
const keys = new Map(); // env name → key typed in (memory only unless "remember")
const state = { sy: null, spread: {}, runs: { chain: 0, balance: 0, cache: 0 }, busy: 0 };
window.playground = state;

if (!location.pathname.startsWith('/demos/')) $('gateway-link').hidden = true;

function show(id, text, isError = false) {
  const el = $(id);
  el.hidden = false;
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// ── config and keys ──────────────────────────────────────────────────────────────────────

function renderKeyFields() {
  const names = envNamesOf($('config').value);
  $('key-note').hidden = names.length === 0;
  $('keys').replaceChildren(...names.map((name) => {
    const row = document.createElement('div');
    row.className = 'row';
    const input = Object.assign(document.createElement('input'), { type: 'password', autocomplete: 'off', placeholder: name, size: 40 });
    input.dataset.env = name;
    const remembered = localStorage.getItem(KEY_PREFIX + name);
    if (!keys.has(name) && remembered) keys.set(name, remembered);
    input.value = keys.get(name) ?? '';
    const remember = Object.assign(document.createElement('input'), { type: 'checkbox', checked: remembered !== null });
    input.addEventListener('input', () => {
      keys.set(name, input.value);
      if (remember.checked) localStorage.setItem(KEY_PREFIX + name, input.value);
    });
    remember.addEventListener('change', () => {
      if (remember.checked) localStorage.setItem(KEY_PREFIX + name, input.value);
      else localStorage.removeItem(KEY_PREFIX + name);
    });
    const label = Object.assign(document.createElement('label'), { textContent: name });
    const rememberLabel = document.createElement('label');
    rememberLabel.append(remember, ' remember in this browser');
    row.append(label, input, rememberLabel);
    return row;
  }));
}

function loadExample(name) {
  $('config').value = JSON.stringify(exampleConfig(name), null, 2);
  renderKeyFields();
}

async function applyConfig() {
  $('config-error').hidden = true;
  $('status').textContent = 'starting the core…';
  state.sy?.close();
  state.sy = null;
  let config;
  try {
    config = JSON.parse($('config').value);
  } catch (error) {
    $('status').textContent = 'not running';
    return show('config-error', `The config is not valid JSON: ${error.message}.`, true);
  }
  const env = {};
  for (const name of envNamesOf($('config').value)) if (keys.get(name)) env[name] = keys.get(name);
  try {
    state.sy = await createSwitchyard({ config, env });
  } catch (error) {
    $('status').textContent = 'not running';
    // A config the core refuses is a 400 listing every problem with its path.
    const missing = envNamesOf($('config').value).filter((name) => !env[name]);
    const hint = missing.length ? ` Type the key${missing.length > 1 ? 's' : ''} ${missing.join(', ')} above.` : '';
    return show('config-error', describeFailure({ ...error, message: 'the core refused this config' }) + hint, true);
  }
  state.spread = {};
  state.ready = true;
  $('status').textContent = `running in the page (${Object.keys(config.providers ?? {}).join(', ')})`;
  drawSpread();
  await refreshStats();
}

// ── the examples ─────────────────────────────────────────────────────────────────────────

function drawPicture() {
  const c = $('picture').getContext('2d');
  c.fillStyle = '#87ceeb';
  c.fillRect(0, 0, 96, 96);
  c.fillStyle = '#ffcc33';
  c.beginPath();
  c.arc(48, 44, 20, 0, 2 * Math.PI);
  c.fill();
  c.fillStyle = '#3a7d44';
  c.fillRect(0, 76, 96, 20);
}

async function running(button, work) {
  if (!state.sy) return show('config-error', 'Apply a config first: the core is not running.', true);
  button.disabled = true;
  state.busy++;
  try {
    await work();
  } finally {
    button.disabled = false;
    state.busy--;
    await refreshStats();
  }
}

async function runChain() {
  const tbody = $('chain-steps').tBodies[0];
  tbody.replaceChildren();
  $('chain-output').textContent = '…';
  $('chain-output').classList.remove('error');
  const input = { image: $('picture').toDataURL('image/png'), lang: $('lang').value };
  try {
    for await (const event of await state.sy.pipeline('describe-and-translate', input, { stream: true })) {
      if (event.type === 'step') {
        const s = event.step;
        const row = document.createElement('tr');
        row.dataset.step = s.id;
        row.append(cell(s.id), cell(`${s.provider}/${s.model}`), cell(s.cache, String(s.cache).toLowerCase()), cell(String(s.ms), 'num'), cell(s.skipped ? '(skipped)' : s.text));
        tbody.append(row);
      } else if (event.type === 'done') {
        $('chain-output').textContent = typeof event.answer.output === 'string' ? event.answer.output : JSON.stringify(event.answer.output);
      }
    }
    state.runs.chain++;
  } catch (error) {
    show('chain-output', describeError(error), true);
  }
}

function drawSpread() {
  const rows = Object.entries(state.spread).sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => ({ label, values: [n] }));
  $('balance-chart').replaceChildren(barChart(rows, { title: 'Calls answered per target', empty: 'run some calls' }));
}

const QUESTIONS = ['What is the capital of France?', 'How many legs has a spider?', 'What colour is the sky?'];

async function runBalance() {
  const n = Math.max(1, Math.min(60, Number($('calls').value) || 1));
  state.spread = {};
  drawSpread();
  $('balance-output').hidden = true;
  try {
    for (let i = 0; i < n; i++) {
      // no-store: every call is routed (a cached answer would not show the spread)
      const answer = await state.sy.call('assistant', { question: QUESTIONS[i % QUESTIONS.length] }, { headers: { 'x-switchyard-cache': 'no-store' } });
      const target = answer._switchyard.target;
      state.spread[target] = (state.spread[target] ?? 0) + 1;
      $('balance-progress').textContent = `${i + 1} of ${n} calls`;
      drawSpread();
      await refreshStats();
    }
    state.runs.balance++;
  } catch (error) {
    show('balance-output', describeError(error), true);
  }
}

async function runCache() {
  const tbody = $('cache-calls').tBodies[0];
  tbody.replaceChildren();
  $('cache-output').classList.remove('error');
  try {
    for (const call of [1, 2]) {
      const start = performance.now();
      const answer = await state.sy.call('explain', { topic: $('topic').value });
      const ms = performance.now() - start;
      const info = answer._switchyard;
      const row = document.createElement('tr');
      row.dataset.cache = info.cache;
      row.dataset.ms = ms.toFixed(2);
      row.append(cell(String(call)), cell(info.cache, String(info.cache).toLowerCase()), cell(`${ms.toFixed(1)} ms`, 'num'), cell(info.target));
      tbody.append(row);
      $('cache-output').textContent = answer.text;
    }
    state.runs.cache++;
  } catch (error) {
    show('cache-output', describeError(error), true);
  }
}

async function refreshStats() {
  if (!state.sy) return;
  try {
    state.stats = await state.sy.stats();
    renderStats($('stats'), state.stats);
  } catch (error) {
    $('stats').textContent = describeError(error);
  }
}

// ── wiring ───────────────────────────────────────────────────────────────────────────────

for (const [name, p] of Object.entries(PROVIDERS)) $('provider').append(new Option(p.label, name));
$('provider').addEventListener('change', () => {
  loadExample($('provider').value);
  applyConfig();
});
$('config').addEventListener('input', renderKeyFields);
$('apply').addEventListener('click', applyConfig);
$('run-chain').addEventListener('click', (e) => running(e.target, runChain));
$('run-balance').addEventListener('click', (e) => running(e.target, runBalance));
$('run-cache').addEventListener('click', (e) => running(e.target, runCache));
$('clear-cache').addEventListener('click', (e) => running(e.target, async () => {
  await state.sy.cache.clear();
  $('cache-calls').tBodies[0].replaceChildren();
}));

drawPicture();
loadExample('echo');
applyConfig();
