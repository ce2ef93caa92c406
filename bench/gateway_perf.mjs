// Linux perf on a workerd process (issue 13, bench/gateway_profile.mjs --perf): where its CPU
// goes, sampled from outside the isolate with call graphs. V8's own profiler, attached through
// the inspector, charges its sampling to the code it interrupts and cannot see into workerd's
// C++; perf sees both. V8 names its JIT code (JS and wasm functions) in /tmp/perf-<pid>.map when
// the process runs with PERF_V8_FLAGS (perfMapOf(pid): remove it when done); workerd's C++ keeps
// its frame pointers, so every sample's stack reaches from the leaf to the event loop.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

// --interpreted-frames-native-stack: functions V8 has not compiled yet get a named frame too (the
// floor workers' few lines, say), instead of one anonymous interpreter frame.
export const PERF_V8_FLAGS = Object.freeze(['--perf-basic-prof', '--interpreted-frames-native-stack']);
export const perfMapOf = (pid) => `/tmp/perf-${pid}.map`;

// Starts `perf record` (cpu-clock, call graphs) on `pid`, writing into `dir`. stop() ends it and
// resolves with the samples' stacks (each an array of frame names, leaf first). Rejects with a
// clear error when perf is missing or may not attach.
export async function recordPerf(pid, dir, frequency = 2999) {
  const data = path.join(dir, 'perf.data');
  const child = spawn('perf', ['record', '-g', '-e', 'cpu-clock', '-F', String(frequency), '-p', String(pid), '-o', data], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(error.code === 'ENOENT' ? 'perf is not installed (Debian: apt-get install linux-perf)' : `perf: ${error.message}`)));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // perf prints nothing when it attached; give it a moment, and fail early when it did not.
  const early = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 300))]);
  if (early) throw new Error(`perf record could not attach to ${pid} (exit ${early.code}): ${stderr.trim()}`);
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      if (!fs.existsSync(data)) throw new Error(`perf record wrote no data: ${stderr.trim()}`);
      const { stdout: text } = await promisify(execFile)('perf', ['script', '-i', data, '-F', 'ip,sym'], { maxBuffer: 1 << 30 });
      fs.rmSync(data, { force: true });
      return parsePerfScript(text);
    },
  };
}

// `perf script -F ip,sym` output: one line per frame ("<address> <symbol>"), leaf first, and a
// blank line after each sample.
export function parsePerfScript(text) {
  const stacks = [];
  let stack = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') {
      if (stack.length) stacks.push(stack);
      stack = [];
      continue;
    }
    const space = trimmed.indexOf(' ');
    stack.push(space < 0 ? '[unknown]' : trimmed.slice(space + 1));
  }
  if (stack.length) stacks.push(stack);
  return stacks;
}

// JIT code as V8 names it for perf: "JS:<marker>name file:line:col" for JS, "JS:<name>-<index>-
// turbofan|liftoff" for a wasm function; "Stub:js-to-wasm…" for the wrappers between them.
const isWasm = (frame) => /^JS:.*-\d+-(turbofan|liftoff)$/.test(frame);
const isJs = (frame) => frame.startsWith('JS:') || frame.startsWith('Stub:');
const GC = /Heap::CollectGarbage|Scavenger|MarkCompact|MinorMarkSweep|Sweeper|ConcurrentMarking|cppgc::internal::Marker/;

// The workerd API a frame is the entry of, "Class.member" ("Response.new" for a constructor),
// or null. jsg's callbacks are templates whose names c++filt cannot demangle; the class and the
// member are read from the mangled name (…3api<n><Class>15registerMembers…XadL_ZN<subst><n><member>E…).
export function workerdApi(frame) {
  const ctor = /workerd::api::(\w+)::constructor|ConstructorCallback<[^,]+, workerd::api::(\w+)/.exec(frame);
  if (ctor) return `${ctor[1] ?? ctor[2]}.new`;
  const cls = /3api(\d+)(\w+)/.exec(frame);
  if (!cls || !frame.startsWith('_ZN7workerd3jsg')) return null;
  const name = cls[2].slice(0, Number(cls[1]));
  const member = /XadL_ZN(?:S[0-9A-Z]*_)+(\d+)(\w+)/.exec(frame);
  if (!member) return name;
  return `${name}.${member[2].slice(0, Number(member[1]))}`;
}

// The bucket of one sample's stack (leaf first): the first rule that matches.
export function bucketOf(stack) {
  const leaf = stack[0] ?? '';
  if (isWasm(leaf) || (leaf.startsWith('Builtins_Wasm') && stack.some(isWasm))) return 'the core (wasm code)';
  if (stack.some((f) => GC.test(f))) return 'garbage collection';
  if (isJs(leaf) || /^Builtins_(Interpreter|\w+Handler$|Baseline)/.test(leaf)) return 'JS code (worker, driver, adapter)';
  const js = stack.findIndex(isJs);
  if (js > 0) {
    for (let i = js - 1; i >= 0; i--) {
      const api = workerdApi(stack[i]);
      if (api) return `runtime, called from JS: ${api}`;
    }
    return 'runtime, called from JS: V8 builtins and other';
  }
  if (stack.some((f) => f.includes('JobTaskWrapper'))) return "V8's background threads (GC, compiler)";
  if (stack.some((f) => f.includes('runMicrotasks'))) return 'promise jobs outside JS';
  if (stack.some((f) => f.includes('IoContext::run'))) return "workerd's request machinery";
  // workerd's HTTP is Rust, partly without frame pointers: a leaf of its crates counts here too.
  if (stack.some((f) => /hyper|tokio|mio::|entry_SYSCALL|kj::_::waitImpl|^<?(http|bytes|futures_\w+|workerd_server)::/.test(f))) return 'HTTP, event loop and system calls';
  return 'other';
}

// The samples per bucket and per leaf symbol, largest first.
export function perfBuckets(stacks) {
  const buckets = new Map();
  const leaves = new Map();
  for (const stack of stacks) {
    const b = bucketOf(stack);
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
    leaves.set(stack[0], (leaves.get(stack[0]) ?? 0) + 1);
  }
  const sorted = (map) => [...map].map(([name, samples]) => ({ name, samples })).sort((a, b) => b.samples - a.samples);
  return { samples: stacks.length, buckets: sorted(buckets), leaves: sorted(leaves) };
}
