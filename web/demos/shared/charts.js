// Small hand-drawn SVG charts for the demos: horizontal bars (one or two series per row) and a
// ring for a ratio. No dependencies; every chart is replaced whole on each render, so a live
// chart is just render() again with new numbers.

const SVG = 'http://www.w3.org/2000/svg';

function node(name, attributes = {}, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const format = (value, unit = '') => {
  const n = Number(value);
  const text = Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1);
  return unit ? `${text} ${unit}` : text;
};

/**
 * Horizontal bars, one row per item: rows = [{ label, values: [number, …] }], series = names of
 * the values ([''] for one). Each bar carries data-label, data-series and data-value, so tests
 * and screen readers can read the numbers; the value is also written at the bar's end.
 */
export function barChart(rows, { title, unit = '', series = [''], empty = 'no data yet' } = {}) {
  const figure = document.createElement('figure');
  figure.className = 'chart bar-chart';
  if (title) figure.append(Object.assign(document.createElement('figcaption'), { textContent: title }));
  if (!rows.length) {
    figure.append(Object.assign(document.createElement('p'), { className: 'chart-empty', textContent: empty }));
    return figure;
  }
  const barHeight = 12;
  const rowHeight = series.length * (barHeight + 2) + 6;
  const labelWidth = 110;
  const width = 300;
  const plotWidth = width - labelWidth - 50;
  const max = Math.max(1e-9, ...rows.flatMap((r) => r.values.map(Number)));
  const legend = series.length > 1 ? 18 : 0;
  const svg = node('svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + legend}`, role: 'img', 'aria-label': title ?? 'bar chart' });
  series.forEach((name, s) => {
    if (!legend) return;
    svg.append(node('rect', { x: labelWidth + s * 60, y: 2, width: 9, height: 9, class: `series-${s}` }));
    svg.append(node('text', { x: labelWidth + s * 60 + 12, y: 10, class: 'legend' }, name));
  });
  rows.forEach((row, i) => {
    const top = legend + i * rowHeight + 4;
    svg.append(node('text', { x: labelWidth - 6, y: top + rowHeight / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' }, row.label));
    row.values.forEach((value, s) => {
      const y = top + s * (barHeight + 2);
      const w = Math.max(1, (Number(value) / max) * plotWidth);
      svg.append(node('rect', {
        x: labelWidth, y, width: w, height: barHeight, rx: 2, class: `bar series-${s}`,
        'data-label': row.label, 'data-series': series[s], 'data-value': value,
      }));
      svg.append(node('text', { x: labelWidth + w + 4, y: y + barHeight / 2, 'dominant-baseline': 'middle', class: 'value' }, format(value, unit)));
    });
  });
  figure.append(svg);
  return figure;
}

/** A ring showing part / whole (e.g. cache hits / lookups), with the percentage in the middle. */
export function ringChart({ part, whole, title, caption }) {
  const figure = document.createElement('figure');
  figure.className = 'chart ring-chart';
  if (title) figure.append(Object.assign(document.createElement('figcaption'), { textContent: title }));
  const ratio = whole > 0 ? part / whole : 0;
  const r = 40;
  const c = 2 * Math.PI * r;
  const svg = node('svg', { viewBox: '0 0 120 120', role: 'img', 'aria-label': `${title ?? 'ratio'}: ${Math.round(ratio * 100)}%`, 'data-ratio': ratio.toFixed(4) });
  svg.append(node('circle', { cx: 60, cy: 60, r, class: 'ring-track', fill: 'none', 'stroke-width': 14 }));
  svg.append(node('circle', {
    cx: 60, cy: 60, r, class: 'ring-part', fill: 'none', 'stroke-width': 14,
    'stroke-dasharray': `${(ratio * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 60 60)',
  }));
  svg.append(node('text', { x: 60, y: 60, 'text-anchor': 'middle', 'dominant-baseline': 'middle', class: 'ring-text' }, whole > 0 ? `${Math.round(ratio * 100)}%` : '–'));
  figure.append(svg);
  if (caption) figure.append(Object.assign(document.createElement('p'), { className: 'chart-note', textContent: caption }));
  return figure;
}

/** Breaker states as badges: closed (healthy), open (skipped), half_open (probing). */
export function breakerBadges(targets, { title = 'Breakers' } = {}) {
  const figure = document.createElement('figure');
  figure.className = 'chart breakers';
  figure.append(Object.assign(document.createElement('figcaption'), { textContent: title }));
  const list = document.createElement('ul');
  for (const t of targets) {
    const item = document.createElement('li');
    const state = String(t.breaker ?? 'unknown');
    item.className = `breaker breaker-${state.replace(/[^a-z_]/g, '')}`;
    item.dataset.target = t.target;
    item.dataset.state = state;
    item.textContent = `${t.target}: ${state.replace('_', '-')}`;
    list.append(item);
  }
  if (!targets.length) list.append(Object.assign(document.createElement('li'), { textContent: 'no targets called yet' }));
  figure.append(list);
  return figure;
}

/**
 * The stats panel of the demos: requests, latency (p50 / p99) and errors per target, breaker
 * states and the cache hit rate, from a stats document (sy.stats() or GET /v1/stats:
 * { targets: [{ target, requests, errors, latency_ms: { p50, p99 }, breaker }], cache: { hits, misses, entries } }).
 */
export function renderStats(container, stats) {
  const targets = Array.isArray(stats?.targets) ? stats.targets : [];
  const cache = stats?.cache ?? {};
  const hits = Number(cache.hits ?? 0);
  const lookups = hits + Number(cache.misses ?? 0);
  container.replaceChildren(
    barChart(targets.map((t) => ({ label: t.target, values: [t.requests ?? 0] })), { title: 'Requests per target' }),
    barChart(targets.map((t) => ({ label: t.target, values: [t.latency_ms?.p50 ?? 0, t.latency_ms?.p99 ?? 0] })), {
      title: 'Latency per target', unit: 'ms', series: ['p50', 'p99'],
    }),
    barChart(targets.map((t) => ({ label: t.target, values: [t.errors ?? 0] })), { title: 'Errors per target' }),
    breakerBadges(targets),
    ringChart({
      part: hits, whole: lookups, title: 'Cache hit rate',
      caption: `${hits} hits of ${lookups} lookups · ${cache.entries ?? 0} entries`,
    }),
  );
  container.dataset.rendered = String(Date.now());
}
