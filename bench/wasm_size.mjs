// What the browser downloads for one chat call, and what is in the wasm, by area.
//
//   node bench/wasm_size.mjs [--names build/web/names/switchyard_core.wasm] [--json]
//                            [--wasm web/dist/switchyard_core.wasm] [--wasi worker/dist/switchyard.wasm]
//                            [--top N] [--match REGEX]
//
// 1. The download: gzip -9 of the shipped wasm, the Emscripten loader (.mjs) and the JS modules
//    the browser entry (web/src/index.js) loads for a chat call: its static imports, followed
//    recursively. Modules it imports only on demand (import()) are listed apart. Then the JS as a
//    production build ships it: an app importing createSwitchyard, bundled and minified by esbuild;
//    the budget (issue 11) is held against that plus the wasm.
// 2. What is in the wasm: the code section's function bodies of a build linked with a names
//    section (the `switchyard_core_names` target of the web preset: the same objects and flags as
//    the shipped module plus --profiling-funcs, so the same code), each attributed to an area by
//    its demangled name (llvm-cxxfilt when present): src/<area> (namespace sy::<area>), RapidJSON,
//    libc++ (std::), libc/malloc (plain C names), the C interface (sy_*). Data segments (string
//    literals, tables) and the other sections are rows of their own. Functions are attributed
//    where they ended up after inlining (LTO): code inlined into a caller counts for the caller.
//    gzip per area is each group's bytes compressed on their own; "share" scales those so they
//    add up to the gzip size of the whole module (an estimate: gzip finds repeats across groups).
//    --match REGEX: the same for the functions whose demangled name matches (one group).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const WASM = path.resolve(root, arg('wasm', 'web/dist/switchyard_core.wasm'));
const MJS = WASM.replace(/\.wasm$/, '.mjs');
const NAMES = path.resolve(root, arg('names', 'build/web/names/switchyard_core.wasm'));
const WASI = path.resolve(root, arg('wasi', 'worker/dist/switchyard.wasm'));
const ENTRY = path.join(root, 'web/src/index.js');
const TOP = Number(arg('top', 0));
const MATCH = arg('match') && new RegExp(arg('match'));
const JSON_OUT = args.includes('--json');

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// ---- the wasm binary format: sections, imports, function bodies, data segments, names --------
function readU32(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos.at++];
    result += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return result;
    shift += 7;
  }
}

function readName(bytes, pos) {
  const length = readU32(bytes, pos);
  const name = Buffer.from(bytes.subarray(pos.at, pos.at + length)).toString('utf8');
  pos.at += length;
  return name;
}

function sections(bytes) {
  if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const out = [];
  const pos = { at: 8 };
  while (pos.at < bytes.length) {
    const start = pos.at;
    const id = bytes[pos.at++];
    const size = readU32(bytes, pos);
    const body = pos.at;
    let name = SECTION_NAMES[id] ?? `section ${id}`;
    if (id === 0) name = `custom "${readName(bytes, { at: body })}"`;
    out.push({ id, name, start, body, end: body + size });
    pos.at = body + size;
  }
  return out;
}
const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global',
  'export', 'start', 'element', 'code', 'data', 'data count'];

function importedFunctions(bytes, section) {
  if (!section) return 0;
  const pos = { at: section.body };
  let functions = 0;
  for (let n = readU32(bytes, pos); n > 0; n--) {
    readName(bytes, pos);
    readName(bytes, pos);
    const kind = bytes[pos.at++];
    if (kind === 0) { functions++; readU32(bytes, pos); }
    else if (kind === 1) { pos.at++; limits(bytes, pos); }         // table: reftype, limits
    else if (kind === 2) limits(bytes, pos);                        // memory
    else if (kind === 3) pos.at += 2;                               // global: valtype, mut
    else if (kind === 4) { pos.at++; readU32(bytes, pos); }        // tag
  }
  return functions;
}
function limits(bytes, pos) {
  const flags = bytes[pos.at++];
  readU32(bytes, pos);
  if (flags & 1) readU32(bytes, pos);
}

function functionBodies(bytes, section) {
  const pos = { at: section.body };
  const bodies = [];
  for (let n = readU32(bytes, pos); n > 0; n--) {
    const start = pos.at;
    const size = readU32(bytes, pos);
    bodies.push({ start, end: pos.at + size });
    pos.at += size;
  }
  return bodies;
}

function dataSegments(bytes, section) {
  if (!section) return [];
  const pos = { at: section.body };
  const segments = [];
  for (let n = readU32(bytes, pos); n > 0; n--) {
    const flags = readU32(bytes, pos);
    if (flags === 2) readU32(bytes, pos);
    if (flags !== 1) while (bytes[pos.at++] !== 0x0b);              // the offset expression
    const size = readU32(bytes, pos);
    segments.push(bytes.subarray(pos.at, pos.at + size));
    pos.at += size;
  }
  return segments;
}

function functionNames(bytes, section) {
  const names = new Map();
  if (!section) return names;
  const pos = { at: section.body };
  readName(bytes, pos);                                             // "name"
  while (pos.at < section.end) {
    const kind = bytes[pos.at++];
    const size = readU32(bytes, pos);
    const end = pos.at + size;
    if (kind === 1) {
      for (let n = readU32(bytes, pos); n > 0; n--) {
        const index = readU32(bytes, pos);
        names.set(index, readName(bytes, pos));
      }
    }
    pos.at = end;
  }
  return names;
}

// ---- areas ------------------------------------------------------------------------------------
function demangle(names) {
  const mangled = names.filter((n) => n.startsWith('_Z'));
  const out = new Map(names.map((n) => [n, n]));
  if (!mangled.length) return out;
  for (const tool of ['llvm-cxxfilt-19', 'llvm-cxxfilt', 'c++filt']) {
    try {
      const text = execFileSync(tool, [], { input: mangled.join('\n'), maxBuffer: 1 << 28 }).toString();
      text.split('\n').forEach((line, i) => { if (i < mangled.length) out.set(mangled[i], line); });
      return out;
    } catch { /* try the next demangler */ }
  }
  return out;                                 // no demangler: mangled prefixes still tell areas apart
}

// The qualified name a demangled signature defines: template arguments and parameter lists
// emptied, the return type dropped (`void sy::x::f<...>(...)` → `sy::x::f`).
function qualifiedName(signature) {
  let s = signature.replaceAll('(anonymous namespace)', '{anon}').replace(/operator\(\)/g, 'operator{call}');
  let out = '';
  let depth = 0;
  for (const c of s) {
    if (c === '<' || c === '(') { if (depth === 0) out += c; depth++; continue; }
    if (c === '>' || c === ')') { depth--; if (depth === 0) out += c; continue; }
    if (depth === 0) out += c;
  }
  const call = out.indexOf('(');
  if (call >= 0) out = out.slice(0, call);
  const words = out.trim().split(' ');
  return words[words.length - 1];
}

// Every folder of src/ is an area (read here, so that a new one gets its own row).
const SRC_AREAS = new Set(readdirSync(path.join(root, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
const NAMESPACE_AREAS = { sse: 'providers' };
const MALLOC = /^(malloc|free|calloc|realloc|aligned_alloc|posix_memalign|memalign|emmalloc_|sbrk|emscripten_builtin_|dlmalloc|dlfree|dlrealloc|internal_memalign)/;

function areaOf(raw, demangled) {
  if (/^sy_/.test(raw)) return 'bindings/c_api (sy_*)';
  const cxx = raw.startsWith('_Z') || /[(:]/.test(raw);  // emcc's names come demangled already
  if (!cxx) {
    if (MALLOC.test(raw) || /malloc|free_list|emmalloc/.test(raw)) return 'malloc';
      if (/^(__cxa_|__cxxabiv|__dynamic_cast)/.test(raw)) return 'libc++/abi';
    return 'libc, runtime';
  }
  const signature = demangled.replace(/^byn\$mgfn-shared\$/, '');  // binaryen's merged copies
  let name = qualifiedName(signature);
  if (!/^(sy|rapidjson|std)::/.test(name)) {  // decltype(...) returns, operators: the first known scope
    name = /\b(sy|rapidjson|std)::\S*/.exec(qualifiedName(`x ${signature}`) + ' ' + signature)?.[0] ?? name;
  }
  const parts = name.split('::');
  if (parts[0] === 'sy') {
    const area = NAMESPACE_AREAS[parts[1]] ?? parts[1];
    return SRC_AREAS.has(area) ? `src/${area}` : 'src/base';
  }
  if (parts[0] === 'rapidjson') return 'RapidJSON';
  if (parts[0] === 'std') {
    if (/std::__2::__function::/.test(name) && /sy::/.test(demangled)) return 'libc++ std::function (of sy)';
    return /sy::/.test(demangled) ? 'libc++ (instantiated for sy types)' : 'libc++';
  }
  if (/operator (new|delete)|__cxxabiv|__cxa|update_offset_to_base|is_equal/.test(name)) return 'libc++/abi';
  if (!/[(:]/.test(name)) return 'libc, runtime';
  return `other (${parts[0]})`;
}

function wasmAreas(file) {
  const bytes = readFileSync(file);
  const list = sections(bytes);
  const byId = (id) => list.find((s) => s.id === id);
  const imports = importedFunctions(bytes, byId(2));
  const names = functionNames(bytes, list.find((s) => s.name === 'custom "name"'));
  const bodies = functionBodies(bytes, byId(10));
  const demangled = demangle([...names.values()]);
  const groups = new Map();
  const add = (area, chunk, fn) => {
    const g = groups.get(area) ?? { area, chunks: [], raw: 0, functions: [] };
    g.chunks.push(chunk);
    g.raw += chunk.length;
    if (fn) g.functions.push(fn);
    groups.set(area, g);
  };
  bodies.forEach((b, i) => {
    const raw = names.get(imports + i) ?? `function ${imports + i}`;
    const chunk = bytes.subarray(b.start, b.end);
    const area = areaOf(raw, demangled.get(raw) ?? raw);
    add(area, chunk, { name: demangled.get(raw) ?? raw, size: chunk.length, chunk });
  });
  for (const segment of dataSegments(bytes, byId(11))) add('data segments (strings, tables)', segment);
  for (const s of list) {
    if (s.id === 10 || s.id === 11 || s.name === 'custom "name"') continue;
    add('other sections (types, imports, exports, tables…)', bytes.subarray(s.start, s.end));
  }
  return { bytes, list, groups: [...groups.values()], named: names.size };
}

// ---- the JS a chat call loads -----------------------------------------------------------------
function staticImports(file, seen = new Map(), lazy = new Set()) {
  if (seen.has(file)) return { seen, lazy };
  const text = readFileSync(file, 'utf8');
  seen.set(file, text);
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(/(?:^|;|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
    staticImports(path.resolve(path.dirname(file), m[1]), seen, lazy);
  }
  for (const m of code.matchAll(/\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    lazy.add(path.resolve(path.dirname(file), m[1]));
  }
  return { seen, lazy };
}

async function download() {
  const rows = [];
  const wasm = readFileSync(WASM);
  const mjs = readFileSync(MJS);
  rows.push({ what: path.relative(root, WASM), raw: wasm.length, gzip: gz(wasm) });
  rows.push({ what: path.relative(root, MJS), raw: mjs.length, gzip: gz(mjs) });
  const { seen, lazy } = staticImports(ENTRY);
  for (const [file, text] of seen) {
    if (path.resolve(file) === path.resolve(MJS)) continue; // the glue is the row above (index.js imports it)
    const bytes = Buffer.from(text);
    rows.push({ what: path.relative(root, file), raw: bytes.length, gzip: gz(bytes) });
  }
  const js = Buffer.concat([...seen.values()].map((t) => Buffer.from(t)));
  const onDemand = [...lazy].filter((f) => !seen.has(f)).map((f) => {
    const bytes = readFileSync(f);
    return { what: path.relative(root, f), raw: bytes.length, gzip: gz(bytes) };
  });
  const total = rows.reduce((sum, r) => sum + r.gzip, 0);
  return { rows, total, jsTogetherGzip: gz(js), onDemand, minified: await minifiedBundle(lazy) };
}

// The JS as an app's production build ships it: an app that imports createSwitchyard (what a chat
// call needs; a bundler drops the entry's other exports) bundled with everything that imports
// statically (the Emscripten loader too) and minified (`esbuild --bundle --minify`, as Vite,
// webpack and Rollup + terser do in production). Modules imported on demand stay out of it, as a
// bundler splits them into chunks the page fetches only when used.
async function minifiedBundle(lazy) {
  const onDemand = { name: 'on-demand', setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      return args.kind === 'dynamic-import' && lazy.has(file) ? { path: file, external: true } : undefined;
    });
  } };
  const app = { contents: `export { createSwitchyard } from ${JSON.stringify(ENTRY)};`, resolveDir: root, loader: 'js' };
  const result = await esbuild.build({ stdin: app, bundle: true, minify: true, format: 'esm', platform: 'browser',
    write: false, plugins: [onDemand], logLevel: 'silent' });
  const bytes = result.outputFiles[0].contents;
  return { raw: bytes.length, gzip: gz(bytes) };
}

// ---- report -----------------------------------------------------------------------------------
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n');
}

const result = { download: await download() };
const d = result.download;
const out = [];
out.push('## One chat call: what the browser downloads (gzip -9)\n');
out.push(table(['file', 'raw', 'gzip -9'], [...d.rows.map((r) => [r.what, r.raw, r.gzip]), ['**total**', d.rows.reduce((s, r) => s + r.raw, 0), d.total]]));
out.push(`\n(the JS modules as one gzip stream: ${d.jsTogetherGzip} B; loaded only on demand: ${d.onDemand.map((r) => `${r.what} ${r.gzip} B`).join(', ') || 'none'})`);
out.push(`total ${kb(d.total)} as the package's files are (unminified ES modules)`);
const wasmGzip = d.rows[0].gzip;
out.push(`\nAs an app's production build ships it: an app importing createSwitchyard, bundled and minified ` +
  `(esbuild --bundle --minify; the loader included, on-demand modules left out) ${d.minified.raw} B raw, ${d.minified.gzip} B gzip -9; ` +
  `with the wasm **${d.minified.gzip + wasmGzip} B (${kb(d.minified.gzip + wasmGzip)})** against the budget of 136 KB (aim 64 KB)\n`);

if (existsSync(WASI)) {
  const w = readFileSync(WASI);
  result.wasi = { raw: w.length, gzip: gz(w) };
  out.push(`WASI module ${path.relative(root, WASI)}: ${w.length} B raw, ${result.wasi.gzip} B gzip -9\n`);
}

if (!existsSync(NAMES)) {
  out.push(`no build with names at ${path.relative(root, NAMES)}: cmake --build --preset web --target switchyard_core_names`);
} else {
  const { bytes, groups, named } = wasmAreas(NAMES);
  const shipped = sections(readFileSync(WASM)).find((s) => s.id === 10);
  const code = sections(bytes).find((s) => s.id === 10);
  // The module without its names: what ships.
  const unnamed = Buffer.concat([bytes.subarray(0, 8), ...sections(bytes).filter((s) => s.name !== 'custom "name"').map((s) => bytes.subarray(s.start, s.end))]);
  const whole = gz(unnamed);
  for (const g of groups) g.gzip = gz(Buffer.concat(g.chunks));
  const gzipSum = groups.reduce((s, g) => s + g.gzip, 0);
  groups.sort((a, b) => b.raw - a.raw);
  const rawSum = groups.reduce((s, g) => s + g.raw, 0);
  result.areas = groups.map((g) => ({ area: g.area, raw: g.raw, gzip: g.gzip, share: Math.round(g.gzip / gzipSum * whole), functions: g.functions.length }));
  result.codeSection = { names: code.end - code.body, shipped: shipped.end - shipped.body };
  out.push(`## What is in the wasm (${path.relative(root, NAMES)}, ${named} function names)\n`);
  out.push(`code section ${code.end - code.body} B; the shipped module's: ${shipped.end - shipped.body} B${code.end - code.body === shipped.end - shipped.body ? ' (same code)' : ' (DIFFERENT: the names build is not the shipped code)'}\n`);
  out.push(table(['area', 'functions', 'raw', 'raw %', 'gzip alone', 'est. share of gzip'],
    [...result.areas.map((a) => [a.area, a.functions || '', a.raw, `${(a.raw / rawSum * 100).toFixed(1)} %`, a.gzip, a.share]),
      ['**total**', '', rawSum, '100 %', gzipSum, whole]]));
  if (MATCH) {  // what a set of functions weighs (e.g. what a build without some feature would save)
    const hits = groups.flatMap((g) => g.functions).filter((f) => MATCH.test(f.name));
    const raw = hits.reduce((sum, f) => sum + f.size, 0);
    const alone = gz(Buffer.concat(hits.map((f) => f.chunk)));
    result.match = { pattern: MATCH.source, functions: hits.length, raw, gzip: alone, share: Math.round(alone / gzipSum * whole) };
    out.push(`\nFunctions matching /${MATCH.source}/: ${hits.length}, ${raw} B raw, ${alone} B gzip alone, ` +
      `est. share of gzip ${result.match.share} B (code inlined into other functions not counted)`);
  }
  if (TOP) {
    const all = groups.flatMap((g) => g.functions.map((f) => ({ ...f, area: g.area }))).sort((a, b) => b.size - a.size);
    out.push(`\n## The ${TOP} largest functions\n`);
    out.push(table(['size', 'area', 'function'], all.slice(0, TOP).map((f) => [f.size, f.area, f.name.length > 160 ? `${f.name.slice(0, 157)}...` : f.name])));
  }
}
console.log(JSON_OUT ? JSON.stringify(result, null, 2) : out.join('\n'));
