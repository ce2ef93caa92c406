// The offline demo: loads the core (the npm package), imports the shipped cache snapshot and
// answers its prompts with cache "only" (SPEC section 2): from the snapshot, never the network.
// window.offline exposes the state the browser test reads.
import { createSwitchyard } from 'switchyard';

import { renderStats } from '../shared/charts.js';
import { describeError } from '../shared/errors.js';

const $ = (id) => document.getElementById(id);
const state = { ready: false, answers: [], failures: [], upstreamFetches: 0 };
window.offline = state;

const showNetwork = () => ($('network').textContent = navigator.onLine ? '· network: online' : '· network: offline');
addEventListener('online', showNetwork);
addEventListener('offline', showNetwork);
showNetwork();

async function start() {
  // Fetched at load, with the page: everything needed later is in memory.
  const [config, prompts, snapshot] = await Promise.all(
    ['config.json', 'prompts.json', 'snapshot.json'].map((file) => fetch(file).then((r) => {
      if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
      return r.text();
    })),
  );
  const sy = await createSwitchyard({
    config,
    // Counts what the core would send upstream: with cache "only" it should stay 0.
    fetch: (url, init) => {
      state.upstreamFetches++;
      return fetch(url, init);
    },
  });
  const imported = await sy.cache.import(snapshot);
  state.sy = sy;
  state.imported = imported.imported;
  for (const { question } of JSON.parse(prompts)) {
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary prompt', textContent: question });
    button.addEventListener('click', () => ask(question));
    $('prompts').append(button);
  }
  $('status').textContent = `ready: ${imported.imported} answers imported from the snapshot`;
  state.ready = true;
  await refreshStats();
}

async function ask(question) {
  $('answer').classList.remove('error');
  $('answer').textContent = '…';
  $('meta').textContent = '';
  const started = performance.now();
  try {
    const answer = await state.sy.call('ask', { question }, { headers: { 'x-switchyard-cache': 'only' } });
    const info = answer._switchyard;
    const ms = performance.now() - started;
    $('answer').textContent = answer.text;
    $('meta').textContent = `cache ${info.cache} · ${info.target} · ${ms.toFixed(1)} ms · network ${navigator.onLine ? 'online' : 'offline'}`;
    state.answers.push({ question, text: answer.text, cache: info.cache, target: info.target, online: navigator.onLine });
  } catch (error) {
    const sentence = describeError(error);
    $('answer').classList.add('error');
    $('answer').textContent = sentence;
    state.failures.push({ question, sentence, status: error.status, errorType: error.metadata?.error_type });
  }
  await refreshStats();
}

async function refreshStats() {
  renderStats($('stats'), await state.sy.stats());
}

$('ask').addEventListener('click', () => $('question').value && ask($('question').value));
$('question').addEventListener('keydown', (e) => e.key === 'Enter' && $('question').value && ask($('question').value));

start().catch((error) => {
  $('status').textContent = describeError(error);
  $('status').classList.add('error');
  state.startError = String(error?.message ?? error);
});
