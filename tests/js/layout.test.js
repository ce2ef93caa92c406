// The shape of src/ that docs/architecture.md promises, checked on every run: the areas form a DAG
// (no include cycle between folders), no function is longer than 80 lines, and every
// src/<area>/<name>.cc has its test, tests/<area>/<name>_test.cc.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');
const MAX_FUNCTION_LINES = 80;

function sources() {
  const out = [];
  for (const area of fs.readdirSync(SRC)) {
    const dir = path.join(SRC, area);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const file of fs.readdirSync(dir)) {
      if (/\.(h|cc)$/.test(file)) out.push({ area, file, text: fs.readFileSync(path.join(dir, file), 'utf8') });
    }
  }
  return out;
}

// The text without comments, string and character literals (their insides become spaces), so
// braces and includes are read from code only. Line breaks are kept. One pass, so that a // inside
// a string or a quote inside a comment is read as what it is.
function code(text) {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const rest = text.slice(i, i + 3);
    const raw = /^R"([^(]*)\(/.exec(text.slice(i, i + 20));
    if (raw) {
      const end = text.indexOf(`)${raw[1]}"`, i);
      const stop = end < 0 ? text.length : end + raw[1].length + 2;
      out += '""' + text.slice(i, stop).replace(/[^\n]/g, '');
      i = stop;
    } else if (rest.startsWith('//')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, '');
      i = stop;
    } else if (text[i] === '"' || text[i] === "'") {
      const quote = text[i];
      let j = i + 1;
      while (j < text.length && text[j] !== quote && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += quote + quote;
      i = j + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Area -> areas it includes.
function includeGraph(files) {
  const graph = new Map();
  for (const { area, text } of files) {
    if (!graph.has(area)) graph.set(area, new Set());
    for (const m of text.matchAll(/^#include "([a-z_]+)\/[^"]+"/gm)) {
      if (m[1] !== area && fs.existsSync(path.join(SRC, m[1]))) graph.get(area).add(m[1]);
    }
  }
  return graph;
}

function findCycle(graph) {
  const state = new Map(); // area -> 'open' | 'done'
  const stack = [];
  const visit = (area) => {
    if (state.get(area) === 'done') return null;
    if (state.get(area) === 'open') return [...stack.slice(stack.indexOf(area)), area];
    state.set(area, 'open');
    stack.push(area);
    for (const next of graph.get(area) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(area, 'done');
    return null;
  };
  for (const area of graph.keys()) {
    const cycle = visit(area);
    if (cycle) return cycle;
  }
  return null;
}

// Functions longer than the limit: a brace that opens outside any function, not a namespace,
// type or initializer, opens a function body; its lines are counted to the matching brace.
function longFunctions({ area, file, text }) {
  const lines = code(text).split('\n');
  const stack = []; // 'ns' | 'type' | 'init' | 'fn' | 'block'
  const found = [];
  let start = 0;
  let statement = ''; // the code since the last ; { or }
  lines.forEach((line, i) => {
    for (const ch of line) {
      if (ch === '{') {
        const top = stack.at(-1);
        let kind;
        if (top === 'fn' || top === 'block') kind = 'block';
        else if (/\b(namespace|extern\s+"")\b|extern\s*""/.test(statement) || /\bnamespace\b/.test(statement)) kind = 'ns';
        else if (/\b(class|struct|enum|union)\b[^()]*$/.test(statement)) kind = 'type';
        else if (/=\s*$|\[\]\s*=|=\s*\{?$/.test(statement.trim()) || /^\s*[,{(]?\s*$/.test(statement) || top === 'init') kind = 'init';
        else kind = 'fn';
        if (kind === 'fn') start = i;
        stack.push(kind);
        statement = '';
      } else if (ch === '}') {
        const kind = stack.pop();
        if (kind === 'fn' && i - start + 1 > MAX_FUNCTION_LINES) found.push(`src/${area}/${file}:${start + 1} (${i - start + 1} lines)`);
        statement = '';
      } else if (ch === ';') {
        statement = '';
      } else {
        statement += ch;
      }
    }
    statement += ' ';
  });
  return found;
}

describe('the layout of src/', () => {
  const files = sources();

  it('has areas that form a DAG (no include cycle between folders)', () => {
    const cycle = findCycle(includeGraph(files));
    assert.equal(cycle, null, `include cycle between areas: ${cycle?.join(' -> ')}`);
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap(longFunctions);
    assert.deepEqual(long, []);
  });

  it('has a test file for every .cc file', () => {
    const missing = files
      .filter(({ file }) => file.endsWith('.cc'))
      .map(({ area, file }) => `tests/${area}/${file.replace(/\.cc$/, '_test.cc')}`)
      .filter((test) => !fs.existsSync(path.join(ROOT, test)));
    assert.deepEqual(missing, []);
  });
});
